/** The built page every UI test loads. */
export declare const RENDERER_INDEX: string;
/** Why the renderer build cannot be used as it is (missing, or older than a source), or null when it is fresh. */
export declare function rendererBuildProblem(): string | null;

// Types of scripts/layering.mjs (plain JavaScript so that eslint.config.js can load it).

/** One row of the rooms table. */
export interface Rule {
  room: string;
  mayImport: Set<string>;
  typesFrom: Set<string>;
}
/** The rooms table and the loading lists of DEVELOPING.md. */
export interface Layering {
  rules: Rule[];
  engineGate: string[];
  createRequireRooms: string[];
  computedImportFiles: string[];
}
/** The repository root. */
export const ROOT: string;
/** The rows of the rooms table. */
export function readRooms(md: string): Rule[];
/** The first backticked item of each bullet of the list after `heading`; throws when it is gone. */
export function readList(md: string, heading: string): string[];
/** The headings of the loading lists. */
export const LISTS: { engine: string; createRequire: string; computedImport: string };
/** The rooms table and loading lists of a DEVELOPING.md text. */
export function readLayering(md: string): Layering;
/** readLayering over the repository's docs/DEVELOPING.md. */
export function readRepoLayering(root?: string): Layering;
/** A root-relative path with forward slashes. */
export function relPath(root: string, file: string): string;
/** The row whose room holds a root-relative file. */
export function roomOf(file: string, rules: Rule[]): Rule | undefined;
/** What an import names, as the table writes it ('' for the file's own room). */
export function classify(file: string, spec: string, rules: Rule[]): string;
/** Why an import is refused, or null. */
export function refusal(rule: Rule, what: string, typeOnly: boolean): string | null;
/** `engine/` for src-main/engine/. */
export function shortRoom(room: string): string;
/** The ESLint rule `layering/rooms`. */
export const roomsRule: unknown;
/** The local ESLint plugin. */
export const layeringPlugin: { meta: { name: string }; rules: Record<string, unknown> };

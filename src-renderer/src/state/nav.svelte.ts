/** Which view is shown, and the run it focuses on; the URL hash keeps it across reloads. */
export class NavState {
  view = $state('compose');
  /** Run shown by the live run view. */
  runId = $state<string | null>(null);

  constructor() {
    const m = /^#\/(\w+)(?:\/([\w-]+))?/.exec(globalThis.location?.hash ?? '');
    if (m) {
      this.view = m[1]!;
      this.runId = m[2] ?? null;
    }
  }

  /** Shows a view (optionally focused on a run). */
  go(view: string, runId: string | null = this.runId): void {
    this.view = view;
    this.runId = runId;
    history.replaceState(null, '', `#/${view}${runId ? `/${runId}` : ''}${location.search ? '' : ''}`);
  }
}

/** The app's navigation state. */
export const nav = new NavState();

/**
 * The Backends panel (status bar → backend): every training backend as `dplab backends` tells it,
 * asked through backends.list. Opening it loads the quick report (the lab keeps it for the
 * session); "Measure" asks for the images/s figures, which take seconds per backend, shows the
 * stage the child process is at, and can be cancelled (jobs.cancel).
 */
import type { Results } from '../../../src-main/contract/index.ts';
import { BACKEND_KINDS, type BackendKind, type BackendReport } from '../../../src-main/common/backends.ts';
import { lab } from './lab.svelte.ts';

type Listing = Results['backends.list'];

/** How far a measurement is, from its last stage line ("wasm: timing …"): loading and timing each backend are half a step. */
export function measureProgress(line: string | null): number {
  if (!line) return 0;
  const kind = line.split(':', 1)[0] as BackendKind;
  const i = BACKEND_KINDS.indexOf(kind);
  if (i < 0) return 0;
  return (i + (/timing/.test(line) ? 0.5 : 0)) / BACKEND_KINDS.length;
}

/** State of the Backends panel. */
export class BackendsState {
  open = $state(false);
  /** The last report (quick, or measured once the user measured). */
  listing = $state.raw<Listing | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  /** The job id of a running measurement; null when none runs. */
  measuring = $state<string | null>(null);
  /** The measurement's last stage line. */
  stage = $state<string | null>(null);
  readonly progress = $derived(measureProgress(this.stage));
  #seq = 0;

  constructor() {
    lab.onEvent((e) => {
      if (e.type === 'backends.progress' && this.measuring !== null && e.jobId === this.measuring) this.stage = e.line;
    });
  }

  /** The backend of a kind in the current report. */
  row(kind: BackendKind): BackendReport | undefined {
    return this.listing?.report.backends.find((b) => b.kind === kind);
  }

  /** Opens the panel; loads the quick report the first time. */
  show(): void {
    this.open = true;
    if (!this.listing && !this.loading) void this.load();
  }

  close(): void {
    this.open = false;
  }

  /** The quick report (the lab's cached one unless `refresh`). */
  async load(refresh = false): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      const r = await lab.request('backends.list', { refresh });
      // A measured report already shown stays: it says everything the quick one does, and more.
      if (!this.listing?.measured || refresh) this.listing = r;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    } finally {
      this.loading = false;
    }
  }

  /** Times the reference step on every backend that loads; cancel() stops it. */
  async measure(): Promise<void> {
    if (this.measuring) return;
    const jobId = `backends-${Date.now().toString(36)}-${++this.#seq}`;
    this.measuring = jobId;
    this.stage = null;
    this.error = null;
    try {
      this.listing = await lab.request('backends.list', { measure: true, jobId });
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    } finally {
      if (this.measuring === jobId) {
        this.measuring = null;
        this.stage = null;
      }
    }
  }

  /** Stops the running measurement (its request then answers with "cancelled"). */
  async cancel(): Promise<void> {
    const id = this.measuring;
    if (!id) return;
    await lab.tryRequest('jobs.cancel', { jobId: id }, 'Cancel the measurement');
  }
}

/** The app's Backends panel. */
export const backends = new BackendsState();

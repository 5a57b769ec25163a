/**
 * The run shown by the live view: its row, history from the archive, then live events appended in
 * batches. Events are subscribed to before the history is fetched and buffered meanwhile, so no
 * point falls between the two; overlapping points are dropped by step (`appendEvents`).
 */
import type { LabEvent, Results } from '../../../src-main/contract/index.ts';
import type { EvalEvent, ScalarsEvent, SpectraEvent } from '../../../src-main/common/events.ts';
import { appendEvents, emptyRunData, epochAtStep, fromHistory, type RunData } from '../lib/runData.ts';
import { lab } from './lab.svelte.ts';
import { ACTIVE_STATUSES } from '../lib/runsTable.ts';

type MetricEvent = ScalarsEvent | SpectraEvent | EvalEvent;

export class LiveRunState {
  runId = $state<string | null>(null);
  row = $state.raw<Results['runs.get'] | null>(null);
  data = $state.raw<RunData>(emptyRunData());
  progress = $state.raw<{ step: number; totalSteps: number; epoch: number | null; etaSec: number | null } | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  /** EMA weight of the smoothing applied to noisy per-step charts (0 = raw). */
  smoothing = $state(0.6);

  private buffer: MetricEvent[] = [];
  private historyLoaded = false;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private off: (() => void) | null = null;
  private generation = 0;

  /** Shows a run (no-op when it is already shown). */
  async open(runId: string | null): Promise<void> {
    if (runId === this.runId && (this.row || this.loading)) return;
    this.close();
    this.runId = runId;
    if (!runId) return;
    const gen = ++this.generation;
    this.loading = true;
    this.error = null;
    const offEvents = lab.onEvent((e) => this.onEvent(e));
    const offReconnect = lab.onReconnect(() => void this.resync());
    this.off = () => {
      offEvents();
      offReconnect();
    };
    try {
      const [row, metrics, spectra, evals] = await Promise.all([
        lab.request('runs.get', { runId }),
        lab.request('runs.metrics', { runId }),
        lab.request('runs.spectra', { runId }),
        lab.request('runs.evals', { runId }),
      ]);
      if (gen !== this.generation) return;
      this.row = row;
      this.data = appendEvents(fromHistory(metrics, spectra, evals), this.buffer);
      this.buffer = [];
      this.historyLoaded = true;
      if (row.lastStep && row.totalSteps) this.progress ??= { step: row.lastStep, totalSteps: row.totalSteps, epoch: epochAtStep(metrics, row.lastStep), etaSec: null };
    } catch (e) {
      if (gen === this.generation) this.error = e instanceof Error ? e.message : String(e);
    } finally {
      if (gen === this.generation) this.loading = false;
    }
  }

  /** Stops following the current run. */
  close(): void {
    this.off?.();
    this.off = null;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.buffer = [];
    this.historyLoaded = false;
    this.row = null;
    this.data = emptyRunData();
    this.progress = null;
    this.error = null;
    this.generation++;
  }

  private onEvent(e: LabEvent): void {
    if (!('runId' in e) || e.runId !== this.runId) return;
    if (e.type === 'run.progress') {
      this.progress = { step: e.step, totalSteps: e.totalSteps, epoch: e.epoch, etaSec: e.etaSec };
    } else if (e.type === 'run.metrics') {
      this.buffer.push(...e.events);
      if (this.historyLoaded) this.flushTimer ??= setTimeout(() => this.flush(), 200);
    } else if (e.type === 'run.status') {
      if (this.row) this.row = { ...this.row, status: e.status };
      // The final summary (and error text) arrive with the row; fetch it once the run settles.
      if (!ACTIVE_STATUSES.has(e.status)) void this.reloadRow();
    }
  }

  /**
   * After a lost connection: the points and status changes of the gap never arrived, so the row and
   * the whole history are fetched again; live events meanwhile are buffered and merged by step.
   */
  private async resync(): Promise<void> {
    const runId = this.runId;
    if (!runId || !this.historyLoaded) return;
    const gen = this.generation;
    try {
      const [row, metrics, spectra, evals] = await Promise.all([
        lab.request('runs.get', { runId }),
        lab.request('runs.metrics', { runId }),
        lab.request('runs.spectra', { runId }),
        lab.request('runs.evals', { runId }),
      ]);
      if (gen !== this.generation) return;
      if (this.flushTimer) clearTimeout(this.flushTimer);
      this.flushTimer = null;
      this.row = row;
      this.data = appendEvents(fromHistory(metrics, spectra, evals), this.buffer);
      this.buffer = [];
      // The live ETA of before the gap is no longer true; the next progress event brings a new one.
      this.progress = row.status === 'running' && this.progress ? { ...this.progress, etaSec: null } : null;
    } catch {
      // lost again: the next reconnect retries
    }
  }

  private flush(): void {
    this.flushTimer = null;
    if (!this.buffer.length) return;
    this.data = appendEvents(this.data, this.buffer);
    this.buffer = [];
  }

  private async reloadRow(): Promise<void> {
    const id = this.runId;
    if (!id) return;
    try {
      const row = await lab.request('runs.get', { runId: id });
      if (id === this.runId) this.row = row;
    } catch {
      // the status line already shows the new status; the summary will come on the next open
    }
  }
}

/** The app's live run view state. */
export const liveRun = new LiveRunState();

/**
 * Compare view state: the run list, which runs are selected, the metric, the x alignment, the
 * group-by fields, the panel and line-style fields, and a cache of each run's series (fetched once per run, kept as raw state).
 */
import { METRICS } from '../../../src-main/common/metrics.ts';
import { getClient } from '../lib/client.ts';
import { lab } from './lab.svelte.ts';
import { ACTIVE_STATUSES } from '../lib/runsTable.ts';
import type { Results, RunRow } from '../../../src-main/contract/index.ts';
import type { AlignMode, SeriesLike } from '../lib/compare/align.ts';
import { validDashBy, withGroupField, withLineRole } from '../lib/compare/compareSeries.ts';

/** The series of one run that the compare charts draw from. */
export interface RunSeries {
  metrics: Map<string, SeriesLike>;
}

/** Metrics offered in the compare view, from the engine's metric registry (eval metrics come from `runs.evals`). */
export const COMPARE_METRICS: { name: string; label: string }[] = Object.values(METRICS).map((m) => ({ name: m.name, label: m.label }));

/** Compare view state. */
export class CompareState {
  runs = $state.raw<RunRow[]>([]);
  sweeps = $state.raw<Results['sweeps.list']>([]);
  selected = $state<string[]>([]);
  metric = $state('loss');
  align = $state<AlignMode>('step');
  /** Setup fields whose combinations form the groups (none: each run on its own). */
  groupBy = $state<string[]>([]);
  /** A group field whose values split the chart into panels ('' for one chart). */
  facetBy = $state('');
  /** A group field whose values set the lines' dash pattern ('' for solid lines). */
  dashBy = $state('');
  filter = $state('');
  diffA = $state('');
  diffB = $state('');
  error = $state<string | null>(null);
  loading = $state(false);
  /** Bumped when a run's series arrive, so derived charts recompute. */
  version = $state(0);
  readonly series = new Map<string, RunSeries>();
  #inflight = new Map<string, Promise<void>>();

  constructor() {
    // Runs that changed while the connection was lost: reload the lists and the live runs' series.
    lab.onReconnect(() => {
      if (!this.runs.length) return; // the view was never opened
      const wereLive = this.runs.filter((r) => ACTIVE_STATUSES.has(r.status)).map((r) => r.id);
      void this.refresh().then(() => {
        for (const id of wereLive) this.series.delete(id);
        return this.ensureSeries(this.selected);
      });
    });
  }

  /** Loads the run and sweep lists. */
  async refresh(): Promise<void> {
    this.loading = true;
    try {
      const c = await getClient();
      const [runs, sweeps] = await Promise.all([c.request('runs.list', { limit: 5000 }), c.request('sweeps.list', {})]);
      this.runs = runs;
      this.sweeps = sweeps;
      this.selected = this.selected.filter((id) => runs.some((r) => r.id === id));
      this.error = null;
    } catch (e) {
      this.error = `Could not load runs: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      this.loading = false;
    }
  }

  /** Sets the `i`-th group-by field (see `withGroupField`). */
  setGroupField(i: number, path: string): void {
    const next = withGroupField(this.groupBy, this.facetBy, i, path);
    this.dashBy = validDashBy(next.groupBy, next.facetBy, this.dashBy);
    this.facetBy = next.facetBy;
    this.groupBy = next.groupBy;
  }

  /** Sets the panel or the line-style field (see `withLineRole`: the other role gives way where they clash). */
  setLineRole(role: 'facetBy' | 'dashBy', path: string): void {
    const next = withLineRole(this.groupBy, { facetBy: this.facetBy, dashBy: this.dashBy }, role, path);
    this.facetBy = next.facetBy;
    this.dashBy = next.dashBy;
  }

  /** Selects or deselects a run. */
  toggle(id: string): void {
    this.selected = this.selected.includes(id) ? this.selected.filter((x) => x !== id) : [...this.selected, id];
  }

  /** Selects every run of a sweep (replacing the selection). */
  async selectSweep(sweepId: string): Promise<void> {
    try {
      const c = await getClient();
      const runs = await c.request('runs.list', { sweepId, limit: 10000 });
      this.selected = runs.map((r) => r.id);
    } catch (e) {
      this.error = `Could not load the sweep's runs: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  /** Fetches the series of the selected runs that are not cached yet (finished runs are cached for good). */
  async ensureSeries(ids: readonly string[]): Promise<void> {
    await Promise.all(ids.filter((id) => !this.series.has(id)).map((id) => this.#load(id)));
  }

  /** Drops cached series of runs that may still change (running/queued), then reloads them. */
  async reloadLive(): Promise<void> {
    const live = this.runs.filter((r) => ACTIVE_STATUSES.has(r.status) && this.selected.includes(r.id));
    for (const r of live) this.series.delete(r.id);
    await this.ensureSeries(live.map((r) => r.id));
  }

  #load(id: string): Promise<void> {
    let p = this.#inflight.get(id);
    if (p) return p;
    p = (async () => {
      try {
        const c = await getClient();
        const [metrics, evals] = await Promise.all([c.request('runs.metrics', { runId: id }), c.request('runs.evals', { runId: id })]);
        const m = new Map<string, SeriesLike>();
        for (const s of metrics) m.set(s.name, s);
        if (evals.length) {
          const steps = evals.map((e) => e.step);
          const epochs = evals.map((e) => e.epoch);
          if (!m.has('probeAcc')) m.set('probeAcc', { steps, epochs, values: evals.map((e) => e.probeAcc) });
          if (!m.has('knnAcc')) m.set('knnAcc', { steps, epochs, values: evals.map((e) => e.knnAcc) });
        }
        this.series.set(id, { metrics: m });
        this.version++;
      } catch (e) {
        this.error = `Could not load the series of run ${id}: ${e instanceof Error ? e.message : String(e)}`;
      } finally {
        this.#inflight.delete(id);
      }
    })();
    this.#inflight.set(id, p);
    return p;
  }
}

/** The app's compare state. */
export const compare = new CompareState();

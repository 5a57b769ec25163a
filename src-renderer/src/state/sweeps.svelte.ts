/**
 * Sweeps view state: the grid draft (base setup as JSON text, axes, seeds), the server's preview of
 * it (debounced), the sweep being watched (live progress from events) and the archive's sweeps.
 */
import { getClient } from '../lib/client.ts';
import { lab } from './lab.svelte.ts';
import { ACTIVE_STATUSES } from '../lib/runsTable.ts';
import type { LabEvent, Results } from '../../../src-main/contract/index.ts';
import { buildDefinition, draftFromDefinition, type AxisDraft, type BaselineDraft, type ValueIssue } from '../lib/sweepGrid.ts';
import { QUICK_SETUP, PREDICTOR_ABLATION } from '../../../src-main/common/presets.ts';
import { sweepSeeds, type SweepDefinition } from '../../../src-main/common/sweep.ts';
import { nextLook } from '../../../src-main/math/sequential.ts';

/** A small, fast base setup (trains in seconds on a laptop CPU) to start a grid from. */
export const QUICK_BASE: Record<string, unknown> = QUICK_SETUP;

/** Sweeps view state. */
export class SweepsState {
  name = $state('');
  baseText = $state(JSON.stringify(QUICK_BASE, null, 2));
  axes = $state<AxisDraft[]>([{ path: 'predictor.kind', text: 'none, linear, directpred' }]);
  seeds = $state(2);
  /** The group the new sweep's others are compared with (stored with the sweep); null: none. */
  baseline = $state<BaselineDraft | null>(null);
  /** Why "Edit as new sweep" left the opened sweep's stored baseline out (it failed the check again). */
  baselineProblem = $state<string | null>(null);
  /** The lab's queue concurrency (runs at once), from app.info; a sweep runs through that queue. */
  concurrency = $state<number | null>(null);
  preview = $state.raw<Results['sweeps.preview'] | null>(null);
  previewError = $state<string | null>(null);
  starting = $state(false);
  startError = $state<string | null>(null);
  list = $state.raw<Results['sweeps.list']>([]);
  current = $state.raw<Results['sweeps.get'] | null>(null);
  currentId = $state<string | null>(null);
  progress = $state<{ done: number; total: number } | null>(null);
  metric = $state('probeAcc');
  loadError = $state<string | null>(null);
  /** What the last start or round said about reuse: members linked to finished runs of the same setup hash. */
  reuseNote = $state<string | null>(null);
  /** True while "Add seeds until decided" runs its rounds. */
  deciding = $state(false);
  #stopRounds = false;
  #idleWaiters: (() => void)[] = [];
  #previewTimer: ReturnType<typeof setTimeout> | null = null;
  #previewSeq = 0;
  #reloadTimer: ReturnType<typeof setTimeout> | null = null;

  constructor() {
    // Progress sent while the connection was lost never arrived: reload the list and the watched sweep.
    lab.onReconnect(() => {
      if (!this.list.length && !this.currentId) return; // nothing shown yet
      void this.refreshList();
      if (this.currentId) void this.open(this.currentId);
    });
  }

  /** The base setup parsed from its JSON text, or the parse error. */
  base(): { value: Record<string, unknown> | null; error: string | null } {
    try {
      const v = JSON.parse(this.baseText || '{}');
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return { value: null, error: 'the base setup must be a JSON object' };
      return { value: v as Record<string, unknown>, error: null };
    } catch (e) {
      return { value: null, error: `base setup: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  /** The definition the draft makes, with every local problem (before asking the server). */
  built(): { definition: ReturnType<typeof buildDefinition>['definition']; issues: ValueIssue[]; count: number } {
    const b = this.base();
    const r = buildDefinition({ name: this.name, base: b.value ?? {}, axes: this.axes, seeds: this.seeds, concurrency: 1, baseline: this.baseline });
    const issues = b.error ? [{ path: 'base', message: b.error }, ...r.issues] : r.issues;
    return { definition: issues.length ? null : r.definition, issues, count: r.count };
  }

  /** Wire form: the server queue sets concurrency, so the per-sweep field is not sent. */
  wire(): Record<string, unknown> | null {
    const d = this.built().definition;
    if (!d) return null;
    const { concurrency: _c, ...rest } = d;
    return rest;
  }

  /** Asks the server to expand the draft (validates every member setup), debounced. */
  requestPreview(): void {
    if (this.#previewTimer) clearTimeout(this.#previewTimer);
    const def = this.wire();
    if (!def) {
      this.preview = null;
      this.previewError = null;
      return;
    }
    const seq = ++this.#previewSeq;
    this.#previewTimer = setTimeout(async () => {
      try {
        const c = await getClient();
        const r = await c.request('sweeps.preview', { definition: def as never });
        if (seq === this.#previewSeq) {
          this.preview = r;
          this.previewError = null;
        }
      } catch (e) {
        if (seq === this.#previewSeq) this.previewError = e instanceof Error ? e.message : String(e);
      }
    }, 250);
  }

  /** Starts the sweep; on success watches it. */
  async start(): Promise<void> {
    const def = this.wire();
    if (!def) return;
    this.starting = true;
    this.startError = null;
    try {
      const c = await getClient();
      const r = await c.request('sweeps.start', { definition: def as never });
      this.progress = { done: r.reused, total: r.runIds.length };
      this.reuseNote = `${r.runIds.length - r.reused} run(s) to train, ${r.reused} reused (finished runs of the same setup)`;
      await this.open(r.sweepId);
      await this.refreshList();
    } catch (e) {
      this.startError = e instanceof Error ? e.message : String(e);
    } finally {
      this.starting = false;
    }
  }

  /**
   * The starter sweep (predictor none / linear / DirectPred × 3 seeds on the quick setup), loaded
   * into the builder and started: the empty Sweeps view's one-click answer to "does the predictor matter?".
   */
  async startPredictorAblation(): Promise<void> {
    const d = draftFromDefinition(PREDICTOR_ABLATION);
    this.name = d.name;
    this.baseText = JSON.stringify(d.base, null, 2);
    this.axes = d.axes;
    this.seeds = d.seeds;
    this.baseline = d.baseline ?? null;
    this.metric = 'collapseStd';
    await this.start();
  }

  /** Loads the archive's sweeps and the queue concurrency. */
  async refreshList(): Promise<void> {
    try {
      const c = await getClient();
      const [list, info] = await Promise.all([c.request('sweeps.list', {}), c.request('app.info', {})]);
      this.list = list;
      this.concurrency = info.queue.concurrency;
    } catch (e) {
      this.loadError = `Could not list sweeps: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  /** Opens a sweep (results and runs). */
  async open(sweepId: string): Promise<void> {
    try {
      const c = await getClient();
      const s = await c.request('sweeps.get', { sweepId });
      this.currentId = sweepId;
      this.current = s;
      const done = s.runs.filter((r) => !ACTIVE_STATUSES.has(r.status)).length;
      this.progress = { done, total: s.runs.length };
      this.loadError = null;
      if (done === s.runs.length) for (const w of this.#idleWaiters.splice(0)) w();
    } catch (e) {
      this.loadError = `Could not open sweep ${sweepId}: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  /**
   * "Add seeds until decided": while `decided()` is false, fills every group of the open sweep up to
   * the next look of the sequential design (3, 5, 8, 12, … ≤ maxSeeds) and waits for the round's
   * runs, as `dplab sweep start --until-decided` does. `stopRounds` cancels.
   */
  async addSeedsUntilDecided(decided: () => boolean, maxSeeds: number): Promise<void> {
    const id = this.currentId;
    if (!id || this.deciding) return;
    this.deciding = true;
    this.#stopRounds = false;
    try {
      const c = await getClient();
      while (!this.#stopRounds && this.current && this.currentId === id && !decided()) {
        const next = nextLook(sweepSeeds(this.current.definition as SweepDefinition).length, maxSeeds);
        if (next === null) {
          this.reuseNote = `stopped at ${maxSeeds} seeds with groups still undecided`;
          break;
        }
        const r = await c.request('sweeps.addSeeds', { sweepId: id, seeds: next });
        this.reuseNote = `round to ${next} seeds: ${r.added} run(s) to train, ${r.reused} reused`;
        const idle = new Promise<void>((ok) => this.#idleWaiters.push(ok));
        await this.open(id);
        await idle;
      }
    } catch (e) {
      this.loadError = `Could not add seeds: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      this.deciding = false;
    }
  }

  /** Stops the rounds and cancels the runs of the round in flight. */
  async stopRounds(): Promise<void> {
    this.#stopRounds = true;
    const c = await getClient();
    for (const r of this.current?.runs ?? []) if (ACTIVE_STATUSES.has(r.status)) await c.request('runs.cancel', { runId: r.id }).catch(() => undefined);
    for (const w of this.#idleWaiters.splice(0)) w();
  }

  /** Copies an opened sweep's definition into the builder (to re-run or vary it). */
  editAsNew(): void {
    if (!this.current) return;
    const d = draftFromDefinition(this.current.definition);
    this.name = d.name ? `${d.name} (copy)` : '';
    this.baseText = JSON.stringify(d.base, null, 2);
    this.axes = d.axes.length ? d.axes : [{ path: 'predictor.kind', text: '' }];
    this.seeds = d.seeds;
    // The baseline and margin go with the grid, so the copy is judged as the original was.
    this.baseline = d.baseline ?? null;
    this.baselineProblem = d.baselineProblem;
  }

  /** Event handler: progress of the watched sweep; reload its table when its runs change. */
  onEvent(e: LabEvent): void {
    if (e.type === 'sweep.progress' && e.sweepId === this.currentId) this.progress = { done: e.done, total: e.total };
    const mine = (e.type === 'run.status' && this.current?.runs.some((r) => r.id === e.runId)) || (e.type === 'sweep.progress' && e.sweepId === this.currentId);
    if (mine && !this.#reloadTimer) {
      this.#reloadTimer = setTimeout(() => {
        this.#reloadTimer = null;
        if (this.currentId) void this.open(this.currentId);
      }, 500);
    }
  }
}

/** The app's sweeps state. */
export const sweeps = new SweepsState();

/**
 * The runs table's state: all runs of the archive, live progress from events (flushed in batches so
 * thousands of rows and many running runs do not re-render per event), the filter/sort/selection,
 * and the actions (cancel, resume, delete, tag, note).
 */
import type { LabEvent, RunRow } from '../../../src-main/contract/index.ts';
import { differingFields } from '../lib/diff.ts';
import { filterRuns, sortRuns, resumeMessage, ACTIVE_STATUSES } from '../lib/runsTable.ts';
import { lab } from './lab.svelte.ts';
import { toasts } from './toasts.svelte.ts';

/** Live progress of a running run. */
export interface LiveProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  etaSec: number | null;
  /** Last loss seen in live metrics. */
  loss?: number;
}

export class RunsState {
  rows = $state.raw<RunRow[]>([]);
  progress = $state.raw<Record<string, LiveProgress>>({});
  loaded = $state(false);
  loading = $state(false);
  error = $state<string | null>(null);
  query = $state('');
  statuses = $state.raw<Set<string>>(new Set());
  sortKey = $state('created');
  sortDir = $state<'asc' | 'desc'>('desc');
  selected = $state.raw<Set<string>>(new Set());
  /** The row with keyboard focus / the details panel. */
  focused = $state<string | null>(null);

  /** The sweep filter: a sweep's id, NO_SWEEP for runs made by none, '' for all runs. */
  sweep = $state('');

  readonly shown = $derived(sortRuns(filterRuns(this.rows, this.query, this.statuses, this.sweep), this.sortKey, this.sortDir));
  /** The sweeps the archive's runs came from, newest first: the sweep filter's choices. */
  readonly sweeps = $derived.by(() => {
    const byId = new Map<string, { id: string; name: string | null; createdAt: number; runs: number }>();
    for (const r of this.rows) {
      // A reused run counts in every sweep that holds it.
      for (const sw of r.sweep ? [r.sweep, ...(r.sweep.alsoIn ?? [])] : []) {
        byId.set(sw.id, { id: sw.id, name: sw.name, createdAt: sw.createdAt, runs: (byId.get(sw.id)?.runs ?? 0) + 1 });
      }
    }
    return [...byId.values()].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
  });
  /** Setup fields that differ between the runs shown (capped so the table stays readable). */
  readonly diffFields = $derived(differingFields(this.shown.slice(0, 2000).map((r) => r.setup)).slice(0, 40));
  readonly focusedRow = $derived(this.rows.find((r) => r.id === this.focused) ?? null);

  private pendingProgress: Record<string, LiveProgress> = {};
  private pendingRefresh = new Set<string>();
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private unsubscribe: (() => void) | null = null;

  /** Loads the list and starts following events (idempotent). */
  async init(): Promise<void> {
    if (!this.unsubscribe) {
      const offEvents = lab.onEvent((e) => this.onEvent(e));
      // Status changes sent while the connection was lost never arrived: reload the list.
      const offReconnect = lab.onReconnect(() => void this.refresh());
      this.unsubscribe = () => {
        offEvents();
        offReconnect();
      };
    }
    if (!this.loaded) await this.refresh();
  }

  async refresh(): Promise<void> {
    this.loading = true;
    try {
      this.rows = await lab.request('runs.list', { limit: 100000 });
      this.error = null;
      this.loaded = true;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    } finally {
      this.loading = false;
    }
  }

  private onEvent(e: LabEvent): void {
    if (e.type === 'run.progress') {
      this.pendingProgress[e.runId] = { ...this.pendingProgress[e.runId], ...this.progress[e.runId], step: e.step, totalSteps: e.totalSteps, epoch: e.epoch, etaSec: e.etaSec };
    } else if (e.type === 'run.metrics') {
      for (let i = e.events.length - 1; i >= 0; i--) {
        const m = e.events[i]!;
        if (m.type === 'scalars' && typeof m.values.loss === 'number') {
          const cur = this.pendingProgress[e.runId] ?? this.progress[e.runId];
          if (cur) this.pendingProgress[e.runId] = { ...cur, loss: m.values.loss };
          break;
        }
      }
    } else if (e.type === 'run.status') {
      this.pendingRefresh.add(e.runId);
    } else if (e.type === 'archive.changed') {
      void this.refresh();
      return;
    } else return;
    this.flushTimer ??= setTimeout(() => void this.flush(), 250);
  }

  private async flush(): Promise<void> {
    this.flushTimer = null;
    if (Object.keys(this.pendingProgress).length) {
      this.progress = { ...this.progress, ...this.pendingProgress };
      this.pendingProgress = {};
    }
    const ids = [...this.pendingRefresh];
    this.pendingRefresh.clear();
    if (!ids.length || !this.loaded) return;
    const fresh = await Promise.all(ids.map((id) => lab.request('runs.get', { runId: id }).catch(() => null)));
    const byId = new Map(fresh.filter((r): r is NonNullable<typeof r> => !!r).map((r) => [r.id, r as RunRow]));
    const known = new Set(this.rows.map((r) => r.id));
    const added = [...byId.values()].filter((r) => !known.has(r.id));
    this.rows = [...added, ...this.rows.map((r) => byId.get(r.id) ?? r)];
  }

  /** Progress of a row: live when running, else from the archive. */
  progressOf(r: RunRow): { step: number; total: number; etaSec: number | null } {
    const p = this.progress[r.id];
    // While disconnected an ETA would keep looking live: drop it until the connection is back.
    if (p && ACTIVE_STATUSES.has(r.status)) return { step: p.step, total: p.totalSteps, etaSec: lab.lost ? null : p.etaSec };
    return { step: r.lastStep ?? 0, total: r.totalSteps ?? 0, etaSec: null };
  }

  setSort(key: string): void {
    if (this.sortKey === key) this.sortDir = this.sortDir === 'asc' ? 'desc' : 'asc';
    else {
      this.sortKey = key;
      this.sortDir = key === 'name' || key.startsWith('setup.') ? 'asc' : 'desc';
    }
  }

  toggleStatus(s: string): void {
    const n = new Set(this.statuses);
    if (n.has(s)) n.delete(s);
    else n.add(s);
    this.statuses = n;
  }

  toggleSelect(id: string, on?: boolean): void {
    const n = new Set(this.selected);
    if (on ?? !n.has(id)) n.add(id);
    else n.delete(id);
    this.selected = n;
  }

  selectAllShown(on: boolean): void {
    this.selected = on ? new Set(this.shown.map((r) => r.id)) : new Set();
  }

  /** The runs an action applies to: the selection, else the focused row. */
  targets(): string[] {
    if (this.selected.size) return [...this.selected];
    return this.focused ? [this.focused] : [];
  }

  async cancel(ids: string[]): Promise<void> {
    for (const id of ids) {
      const r = await lab.tryRequest('runs.cancel', { runId: id }, `Could not cancel ${id.slice(0, 8)}`);
      if (r && !r.ok) toasts.error(`Run ${id.slice(0, 8)} was not running or queued`);
    }
    this.queueRefresh(ids);
  }

  async resume(ids: string[]): Promise<void> {
    for (const id of ids) {
      const r = await lab.tryRequest('runs.resume', { runId: id }, `Could not resume ${id.slice(0, 8)}`);
      if (r && !r.ok) toasts.error(`Run ${id.slice(0, 8)} cannot be resumed`);
      else if (r) toasts.info(resumeMessage(r.fromStep, r.lastStep));
    }
    this.queueRefresh(ids);
  }

  async remove(ids: string[]): Promise<void> {
    const gone = new Set<string>();
    for (const id of ids) {
      const r = await lab.tryRequest('runs.delete', { runId: id }, `Could not delete ${id.slice(0, 8)}`);
      if (r?.ok) gone.add(id);
    }
    this.rows = this.rows.filter((r) => !gone.has(r.id));
    this.selected = new Set([...this.selected].filter((id) => !gone.has(id)));
    if (this.focused && gone.has(this.focused)) this.focused = null;
    if (gone.size) toasts.info(`Deleted ${gone.size} run${gone.size > 1 ? 's' : ''}`);
  }

  async tag(ids: string[], add: string[], remove: string[] = []): Promise<void> {
    const updated = new Map<string, string[]>();
    for (const id of ids) {
      const r = await lab.tryRequest('runs.tag', { runId: id, add, remove }, `Could not tag ${id.slice(0, 8)}`);
      if (r) updated.set(id, r.tags);
    }
    this.rows = this.rows.map((r) => (updated.has(r.id) ? { ...r, tags: updated.get(r.id)! } : r));
  }

  async note(id: string, markdown: string): Promise<boolean> {
    const r = await lab.tryRequest('runs.note', { runId: id, markdown }, `Could not save the note of ${id.slice(0, 8)}`);
    if (r) toasts.info('Note saved');
    return !!r;
  }

  private queueRefresh(ids: string[]): void {
    for (const id of ids) this.pendingRefresh.add(id);
    this.flushTimer ??= setTimeout(() => void this.flush(), 250);
  }
}

/** The app's runs table. */
export const runs = new RunsState();

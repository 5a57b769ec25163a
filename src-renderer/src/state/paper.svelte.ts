/**
 * Paper view state: every claim of the paper with its verdict (experiments from the archive's runs,
 * theory claims computed by the lab), the claim shown in detail, and the runs a "Run" queued. The
 * verdicts refresh when a reproduction run finishes, so a claim turns from "not run" to its
 * verdict while the user watches.
 */
import type { LabEvent } from '../../../src-main/contract/index.ts';
import type { ClaimResult } from '../../../src-main/reproduce/verdict.ts';
import { saveText } from '../lib/download.ts';
import { lab } from './lab.svelte.ts';
import { ACTIVE_STATUSES } from '../lib/runsTable.ts';

/** Paper view state. */
export class PaperState {
  /** Seeds 0 … seeds−1 the verdicts are read over: the service's default (every seed the archive holds, at least 3) until the user picks a count. */
  seeds = $state(3);
  #chosen = false;
  /** Judge on evaluation seeds (1000 upward) in rounds, as `dplab reproduce run --until-decided` does, instead of seeds 0 … seeds−1. */
  evaluation = $state(false);
  /** With `evaluation`: the seeds each experiment claim was judged on. */
  seedsByClaim = $state.raw<Record<string, number[]> | null>(null);
  results = $state.raw<ClaimResult[]>([]);
  loading = $state(false);
  error = $state<string | null>(null);
  selected = $state<string | null>(null);
  /** Claim ids (or 'all') whose runs are queued, with how many were queued and reused. */
  queued = $state.raw<Record<string, { queued: number; reused: number }>>({});
  #refresh: ReturnType<typeof setTimeout> | null = null;

  /** The selected claim's result (the first claim when none is selected). */
  current(): ClaimResult | null {
    return this.results.find((r) => r.claim.id === this.selected) ?? this.results[0] ?? null;
  }

  /** Loads every claim's verdict. */
  async load(): Promise<void> {
    this.loading = true;
    try {
      const r = await lab.request('reproduce.results', this.evaluation ? { evaluation: true } : this.#chosen ? { seeds: this.seeds } : {});
      this.results = r.results;
      this.seedsByClaim = r.seedsByClaim ?? null;
      if (!this.evaluation) this.seeds = r.seeds.length;
      this.error = null;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    } finally {
      this.loading = false;
    }
  }

  /** The user set the seed count: read the verdicts over exactly that many from now on. */
  async choose(): Promise<void> {
    this.#chosen = true;
    await this.load();
  }

  /** Queues the runs `ids` still need (the claim ids, or ['all']). */
  async run(ids: string[]): Promise<void> {
    const r = await lab.tryRequest('reproduce.run', this.evaluation ? { claims: ids, evaluation: true } : { claims: ids, seeds: this.seeds }, 'Queue the claim’s runs');
    if (!r) return;
    this.queued = { ...this.queued, [ids.join(',')]: { queued: r.queued, reused: r.reused } };
    if (r.queued === 0) await this.load();
  }

  /** Saves the HTML report. */
  async report(): Promise<void> {
    const r = await lab.tryRequest('reproduce.report', this.evaluation ? { evaluation: true } : { seeds: this.seeds }, 'Write the report');
    if (r) saveText(r.filename, r.content, r.mime);
  }

  /** A run that ended may change a verdict: reload (coalesced). */
  onEvent(e: LabEvent): void {
    if (e.type !== 'run.status' || ACTIVE_STATUSES.has(e.status)) return;
    if (this.#refresh) clearTimeout(this.#refresh);
    this.#refresh = setTimeout(() => {
      this.#refresh = null;
      void this.load();
    }, 500);
  }
}

/** The one Paper view state. */
export const paper = new PaperState();


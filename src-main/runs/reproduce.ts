/**
 * Runs the paper's claims (reproduce/claims.ts) through the normal queue and archive: every
 * (arm, seed) the chosen claims need is one run, found again by setup hash, so a second
 * `dplab reproduce run` trains only what is missing (resumable), and a run that two claims share
 * trains once. Missing runs are created as one sweep (`reproduce: …`) and trained by the local
 * executor, like any sweep. Results are read back from the archive: final metrics from the run's
 * summary, the alignment from its last spectra, the random-init baseline from its step-0 values.
 */
import { availableParallelism } from 'node:os';
import type { Archive, RunRecord } from '../archive/archive.ts';
import { nextLook } from '../math/sequential.ts';
import { armsOf, armSetup, CLAIMS, EVAL_SEED_BASE, LAB_BASE, type ArmId, type Claim, type MeasureName } from '../reproduce/claims.ts';
import { combine, evaluateExperiment, evaluateTheory, type ClaimResult, type RunResult, type TestResult, type VerdictOptions } from '../reproduce/verdict.ts';
import { setupHash } from '../common/hash.ts';
import { machineCores } from '../common/backends.ts';
import type { Setup, SetupInput } from '../common/setup.ts';
import type { SweepDefinition, SweepMember } from '../common/sweep.ts';
import type { MemberState } from './executor.ts';
import { createExecutor } from './executor-registry.ts';
import { ownerLives, thisProcess } from './process.ts';
import { DEFAULT_MAX_QUEUED, queueRoomProblem } from './manager.ts';
import { ACTIVE_STATUSES, FINAL_STATUSES } from '../common/events.ts';
import { completedByHash, createSweepRuns } from './sweep.ts';

/** Tag on every run the reproduction creates (the archive browser filters by it). */
export const REPRODUCE_TAG = 'reproduce';

/** One run the claims need. */
export interface PlannedRun {
  arm: ArmId;
  seed: number;
  setup: Setup;
  hash: string;
}

/** The runs `claims` need at `seeds`, each (arm, seed) once. */
export function planRuns(claims: readonly Claim[], seeds: readonly number[], base: SetupInput = LAB_BASE): PlannedRun[] {
  return armsOf(claims).flatMap((arm) =>
    seeds.map((seed) => {
      const setup = armSetup(arm, seed, base);
      return { arm, seed, setup, hash: setupHash(setup) };
    }),
  );
}

/**
 * Queued or running runs of each planned setup hash whose owner process lives: a reproduction that
 * another client (or another `dplab reproduce run`) already queued is not queued a second time.
 */
export function inFlightRuns(archive: Archive, plan: readonly PlannedRun[]): Map<string, RunRecord> {
  const want = new Set(plan.map((p) => p.hash));
  const out = new Map<string, RunRecord>();
  for (const r of archive.listRuns({ status: [...ACTIVE_STATUSES] })) {
    if (want.has(r.setupHash) && !out.has(r.setupHash) && ownerLives(r.ownerPid, r.ownerStart)) out.set(r.setupHash, r);
  }
  return out;
}

/** Newest completed run of each planned setup hash (older duplicates are kept but not used): the lookup sweeps reuse runs by (`completedByHash`). */
export function completedRuns(archive: Archive, plan: readonly PlannedRun[]): Map<string, RunRecord> {
  return completedByHash(archive, plan.map((p) => p.hash));
}

/** Fewest seeds a verdict is read over when none are named (the issue's floor: ≥ 3). */
export const MIN_DEFAULT_SEEDS = 3;
/** Most seeds a request or the CLI may name. */
export const MAX_SEEDS = 20;

/**
 * The seeds a verdict is read over when the user names none: 0 … N−1 for the largest N whose every
 * (arm, seed) the archive holds completed, at least MIN_DEFAULT_SEEDS. Reading fewer seeds than the
 * archive holds would quietly drop runs from a verdict (a 3-seed reading of a 5-seed reproduction
 * can call "reproduced" what all five call inconclusive).
 */
export function defaultSeeds(archive: Archive, claims: readonly Claim[] = CLAIMS, base: SetupInput = LAB_BASE): number[] {
  const held = new Set<string>();
  for (const r of archive.listRuns({ status: 'completed' })) held.add(r.setupHash);
  let n = 0;
  while (n < MAX_SEEDS && planRuns(claims, [n], base).every((p) => held.has(p.hash))) n++;
  return Array.from({ length: Math.max(n, MIN_DEFAULT_SEEDS) }, (_, i) => i);
}

/** The claims named by id (or all for 'all'); unknown ids are an error naming them and the known ones. */
export function selectClaims(ids: readonly string[]): Claim[] {
  if (ids.length === 0 || ids.includes('all')) return [...CLAIMS];
  const unknown = ids.filter((id) => !CLAIMS.some((c) => c.id === id));
  if (unknown.length) throw new Error(`unknown claim(s) ${unknown.map((u) => `'${u}'`).join(', ')} (known: ${CLAIMS.map((c) => c.id).join(', ')})`);
  return CLAIMS.filter((c) => ids.includes(c.id));
}

/** What `train` reports as runs change state. */
export interface ReproduceProgress {
  total: number;
  /** Planned runs already in the archive: completed, or queued/running in a live process (`inFlight` of them). */
  reused: number;
  inFlight?: number;
  member?: MemberState;
}

/**
 * Threads each claim run trains on: one, whatever else runs beside it. wasm on 2 threads adds
 * floating-point reassociation to a run's results, so a thread count that followed the number of
 * runs at once (the run manager's default) made a run's numbers depend on what else was queued; at
 * one thread the same (arm, seed) gives bit-identical results alone or beside others, and a small
 * lab-scale model gains more from a second run on the second core than from a second thread
 * (BENCHMARKS.md, "Claim runs per hour").
 */
export const CLAIM_RUN_THREADS = 1;

/** Claim runs at once by default: one per core (each on `CLAIM_RUN_THREADS` thread). */
export function claimConcurrency(): number {
  return machineCores(process.env, availableParallelism());
}

/**
 * Trains every planned run that has no completed run in the archive yet, as one local sweep, at
 * `concurrency` runs at once (default `claimConcurrency()`), each on one thread.
 * Returns the sweep's uuid (null when nothing was missing).
 */
export async function trainMissing(
  archive: Archive,
  plan: readonly PlannedRun[],
  opts: { concurrency?: number; backend?: 'auto' | string; signal?: AbortSignal; onProgress?: (p: ReproduceProgress) => void; base?: SetupInput; maxQueued?: number; pollMs?: number } = {},
): Promise<{ sweepUuid: string | null; states: MemberState[]; reused: number }> {
  const { def, members, reused, inFlight } = missingSweep(archive, plan, opts.base);
  opts.onProgress?.({ total: plan.length, reused, inFlight: inFlight.length });
  if (members.length === 0) {
    await waitFinal(archive, inFlight, opts.signal, opts.pollMs);
    return { sweepUuid: null, states: [], reused };
  }
  const extra = { concurrency: String(opts.concurrency ?? claimConcurrency()), threads: String(CLAIM_RUN_THREADS) };
  const executor = await createExecutor('local', archive, null, { backend: (opts.backend ?? 'auto') as 'auto', extra });
  try {
    const full = queueRoomProblem(archive, members.length, opts.maxQueued ?? DEFAULT_MAX_QUEUED);
    if (full) throw new Error(full);
    const { sweepId, runIds } = createSweepRuns(archive, def, members, thisProcess());
    for (const id of runIds) archive.addTags(id, [REPRODUCE_TAG]);
    const stored = await executor.start({ sweepUuid: sweepId, definition: def, members: members.map((m, i) => ({ idx: m.idx, runUuid: runIds[i]!, name: m.name, combo: m.combo, setup: m.setup })) });
    archive.setSweepDefinition(sweepId, { ...def, executor: stored });
    const states = await executor.follow((member) => opts.onProgress?.({ total: plan.length, reused, member }), opts.signal);
    await waitFinal(archive, inFlight, opts.signal, opts.pollMs);
    return { sweepUuid: sweepId, states, reused };
  } finally {
    await executor.close();
  }
}

/** Waits (polling the archive) until runs another process trains are final, or `signal` aborts. */
async function waitFinal(archive: Archive, uuids: readonly string[], signal?: AbortSignal, pollMs = 2000): Promise<void> {
  const open = new Set(uuids);
  while (open.size && !signal?.aborted) {
    for (const u of [...open]) {
      const r = archive.getRun(u);
      if (!r || FINAL_STATUSES.has(r.status) || !ownerLives(r.ownerPid, r.ownerStart)) open.delete(u);
    }
    if (open.size) await new Promise((ok) => setTimeout(ok, pollMs));
  }
}

/**
 * The sweep of the planned runs the archive holds neither completed nor queued/running in a live
 * process (members empty when none), for the CLI's executor or the app's run manager
 * (`submitSweep`) to train. Runs are matched by setup hash whatever their state, so two clients
 * asking for the same claims at once queue each run once; `inFlight` names the runs reused while
 * they still train.
 */
export function missingSweep(archive: Archive, plan: readonly PlannedRun[], base: SetupInput = LAB_BASE): { def: SweepDefinition; members: SweepMember[]; reused: number; inFlight: string[] } {
  const done = completedRuns(archive, plan);
  const active = inFlightRuns(archive, plan);
  const inFlight = [...new Set(plan.filter((p) => !done.has(p.hash) && active.has(p.hash)).map((p) => active.get(p.hash)!.uuid))];
  const missing = plan.filter((p) => !done.has(p.hash) && !active.has(p.hash));
  const def: SweepDefinition = { name: `reproduce: ${[...new Set(missing.map((m) => m.arm))].join(', ')}`, base: base as Record<string, unknown> };
  const members: SweepMember[] = missing.map((m, idx) => ({ idx, combo: { arm: m.arm, seed: m.seed }, setup: m.setup, name: m.setup.name ?? `${m.arm}/seed${m.seed}` }));
  return { def, members, reused: plan.length - missing.length, inFlight };
}

/** Σ_j s_j⁺ cos(W_p u_j, u_j) / Σ_j s_j⁺ of one spectra row; null without a linear W_p. */
export function weightedAlignment(fEig: ArrayLike<number>, alignment: ArrayLike<number>): number | null {
  if (alignment.length === 0) return null;
  let num = 0;
  let den = 0;
  for (let j = 0; j < alignment.length; j++) {
    const s = Math.max(fEig[j] ?? 0, 0);
    num += s * alignment[j]!;
    den += s;
  }
  return den > 0 ? num / den : null;
}

/** max(0, −λ_min) / max |λ| of W_p's symmetric part (eigenvalues in any order); null without W_p. */
export function negativePart(wpEig: ArrayLike<number>): number | null {
  if (wpEig.length === 0) return null;
  let min = Infinity;
  let maxAbs = 0;
  for (let j = 0; j < wpEig.length; j++) {
    const v = wpEig[j]!;
    if (!Number.isFinite(v)) return null;
    min = Math.min(min, v);
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  return maxAbs > 0 ? Math.max(0, -min) / maxAbs : null;
}

/** The W_p shape measures of one spectra row (Fig. 2): asymmetry and negative part, null without W_p. */
function wpShape(row: { wpEig: ArrayLike<number>; asymmetry: number | null } | undefined): { asymmetry: number | null; wpNegEig: number | null } {
  if (!row || row.wpEig.length === 0) return { asymmetry: null, wpNegEig: null };
  return { asymmetry: row.asymmetry, wpNegEig: negativePart(row.wpEig) };
}

function finalMeasures(archive: Archive, r: RunRecord): Partial<Record<MeasureName, number | null>> {
  const s = r.summary;
  const spectra = archive.getSpectra(r.uuid);
  const last = spectra.at(-1);
  return {
    collapseStd: s?.collapseStd ?? null,
    effectiveRank: s?.effectiveRank ?? null,
    probeAcc: s?.probeAcc ?? null,
    knnAcc: s?.knnAcc ?? null,
    finalLoss: s?.finalLoss ?? null,
    alignment: last ? weightedAlignment(last.fEig, last.alignment) : null,
    ...wpShape(last),
  };
}

/** The run's measures before any update (step 0), or null when the run recorded none. */
function baselineMeasures(archive: Archive, r: RunRecord): Partial<Record<MeasureName, number | null>> | null {
  const out: Partial<Record<MeasureName, number | null>> = {};
  let any = false;
  // The trainer records the baseline in the summary (probe, kNN, collapse std, effective rank at step 0).
  const b = r.summary?.baseline;
  if (b) {
    for (const m of ['probeAcc', 'knnAcc', 'collapseStd', 'effectiveRank'] as const) out[m] = b[m];
    any = true;
  }
  for (const e of archive.getEvals(r.uuid)) {
    if (e.step !== 0) continue;
    out.probeAcc = e.probeAcc;
    out.knnAcc = e.knnAcc;
    any = true;
  }
  for (const m of archive.getMetrics(r.uuid, ['collapseStd', 'effectiveRank'])) {
    const i = m.steps.indexOf(0);
    if (i >= 0 && out[m.name as MeasureName] == null) {
      out[m.name as MeasureName] = m.values[i] ?? null;
      any = true;
    }
  }
  // W_p is first recorded at the first spectra step (the trainer logs none at step 0): the earliest
  // the run's alignment and W_p shape can be compared with, 1% into a 2,000-step run at spectraEvery 20.
  const first = archive.getSpectra(r.uuid)[0];
  const early = { alignment: first ? weightedAlignment(first.fEig, first.alignment) : null, ...wpShape(first) };
  if (Object.values(early).some((v) => v !== null)) {
    Object.assign(out, early);
    any = true;
  }
  return any ? out : null;
}

/** Every claim's verdict from what the archive holds now (theory claims are computed). */
export function collectResults(archive: Archive, claims: readonly Claim[], seeds: readonly number[], base: SetupInput = LAB_BASE, opts: VerdictOptions = {}): ClaimResult[] {
  const plan = planRuns(claims, seeds, base);
  const done = completedRuns(archive, plan);
  const runs: RunResult[] = [];
  for (const p of plan) {
    const r = done.get(p.hash);
    if (!r) continue;
    runs.push({ arm: p.arm, seed: p.seed, uuid: r.uuid, status: r.status, final: finalMeasures(archive, r), baseline: baselineMeasures(archive, r) });
  }
  return claims.map((c) => (c.kind === 'theory' ? evaluateTheory(c) : evaluateExperiment(c, runs, seeds, opts)));
}

/**
 * How long the claims' runs took: the wall span from the first run's start to the last run's end
 * (what a user waited, with runs in parallel) and the sum of the runs' own wall times.
 */
export function trainingTime(archive: Archive, claims: readonly Claim[], seeds: readonly number[], base: SetupInput = LAB_BASE): { spanSec: number; runSec: number; runs: number } | null {
  const done = [...completedRuns(archive, planRuns(claims, seeds, base)).values()];
  const starts = done.map((r) => r.startedAt).filter((t): t is number => t !== null);
  const ends = done.map((r) => r.endedAt).filter((t): t is number => t !== null);
  if (starts.length === 0 || ends.length === 0) return null;
  const runSec = done.reduce((a, r) => a + (typeof r.summary?.wallSec === 'number' ? r.summary.wallSec : 0), 0);
  return { spanSec: (Math.max(...ends) - Math.min(...starts)) / 1000, runSec, runs: done.length };
}

/** The first `n` evaluation seeds: EVAL_SEED_BASE, EVAL_SEED_BASE + 1, … (no tuning touched them). */
export function evalSeeds(n: number): number[] {
  return Array.from({ length: n }, (_, i) => EVAL_SEED_BASE + i);
}

/** One round of `untilDecided`: the look it filled up to, the claims it ran and those it decided. */
export interface DecideRound {
  look: number;
  seeds: number[];
  running: string[];
  decided: string[];
}

/** What `untilDecided` returns: every claim's result, and the evaluation seeds each was judged on. */
export interface DecideOutcome {
  results: ClaimResult[];
  seeds: Record<string, number[]>;
  /** Experiment claims still undecided when the rounds stopped (at the maximum, or stalled). */
  undecided: string[];
  /** Undecided claims whose next round's runs the archive does not hold (replay only): they stopped short of the maximum. */
  stalled: string[];
  /** 'cancelled' when the signal stopped the rounds, else 'done'. */
  stopped: 'done' | 'cancelled';
}

const decidedVerdict = (t: TestResult) => t.verdict === 'reproduced' || t.verdict === 'not reproduced';

/**
 * Adds evaluation seeds in rounds, up to the looks of the sequential design (3, 5, 8, 12, … ≤
 * maxSeeds), until every test of each claim is decided. A test's verdict is kept from the look that
 * decided it (the repeated intervals allow stopping there); a claim leaves the rounds when all its
 * tests are decided, so later rounds train only the arms of claims still open. `train` trains the
 * runs of a round (the CLI passes `trainMissing`); without it the rounds replay what the archive
 * holds, each claim stopping at the first look whose runs are not all there (`stalled`) — a report
 * of an earlier `--until-decided` run reads the same seeds the run stopped at.
 */
export async function untilDecided(
  archive: Archive,
  claims: readonly Claim[],
  opts: { maxSeeds: number; base?: SetupInput; train?: (plan: PlannedRun[]) => Promise<void>; signal?: AbortSignal; onRound?: (r: DecideRound) => void },
): Promise<DecideOutcome> {
  const base = opts.base ?? LAB_BASE;
  const frozen = new Map<string, (TestResult | null)[]>();
  const last = new Map<string, ClaimResult>();
  const seedsOf: Record<string, number[]> = {};
  let open = claims.filter((c) => c.kind === 'experiment');
  for (const c of open) if (c.kind === 'experiment') frozen.set(c.id, c.tests.map(() => null));
  const stalled: Claim[] = [];
  let n = 0;
  let stopped: DecideOutcome['stopped'] = 'done';
  while (open.length > 0) {
    const look = nextLook(n, opts.maxSeeds);
    if (look === null) break;
    if (opts.signal?.aborted) {
      stopped = 'cancelled';
      break;
    }
    const seeds = evalSeeds(look);
    if (opts.train) await opts.train(planRuns(open, seeds, base));
    if (opts.signal?.aborted) {
      stopped = 'cancelled';
      break;
    }
    if (!opts.train) {
      // Replay: a claim whose runs for this look are not all held stops at its previous look.
      const held = completedRuns(archive, planRuns(open, seeds, base));
      const complete = (c: Claim) => planRuns([c], seeds, base).every((p) => held.has(p.hash));
      stalled.push(...open.filter((c) => !complete(c)));
      open = open.filter(complete);
      if (open.length === 0) break;
    }
    const decided: string[] = [];
    for (const r of collectResults(archive, open, seeds, base, { maxSeeds: opts.maxSeeds })) {
      if (r.kind !== 'experiment') continue;
      const keep = frozen.get(r.claim.id)!;
      r.tests.forEach((t, i) => {
        if (!keep[i] && decidedVerdict(t)) keep[i] = t;
      });
      seedsOf[r.claim.id] = seeds;
      last.set(r.claim.id, r);
      if (keep.every((t) => t !== null)) decided.push(r.claim.id);
    }
    opts.onRound?.({ look, seeds, running: open.map((c) => c.id), decided });
    open = open.filter((c) => !decided.includes(c.id));
    n = look;
  }
  const results = claims.map((c): ClaimResult => {
    if (c.kind === 'theory') return evaluateTheory(c);
    const r = last.get(c.id) ?? collectResults(archive, [c], [], base, { maxSeeds: opts.maxSeeds })[0]!;
    if (r.kind !== 'experiment') return r;
    const keep = frozen.get(c.id)!;
    const tests = r.tests.map((t, i) => keep[i] ?? t);
    return { ...r, tests, verdict: combine(tests.map((t) => t.verdict)) };
  });
  const undecided = new Set([...open, ...stalled].map((c) => c.id));
  return { results, seeds: seedsOf, undecided: claims.filter((c) => undecided.has(c.id)).map((c) => c.id), stalled: stalled.map((c) => c.id), stopped };
}

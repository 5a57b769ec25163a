/** The paper's claims: their results (experiments from the archive, theory computed once in the job pool), queuing their runs, and the report. */
import { CLAIMS } from '../../reproduce/claims.ts';
import { htmlReport } from '../../reproduce/report.ts';
import { DEFAULT_MAX_SEEDS, type ClaimResult } from '../../reproduce/verdict.ts';
import { collectResults, defaultSeeds, evalSeeds, missingSweep, planRuns, REPRODUCE_TAG, selectClaims, trainingTime, untilDecided, type PlannedRun } from '../../runs/reproduce.ts';
import { nextLook } from '../../math/sequential.ts';
import { APP_VERSION } from '../../common/version.ts';
import { ServiceError, jobResult, type Area, type Handlers, type ServiceContext } from '../context.ts';
import { refuseUnfit } from '../preflight.ts';

/** The handlers of reproduce.*. */
export function reproduceHandlers(ctx: ServiceContext): Handlers<Area<'reproduce'>> {
  /** The theory claims' outcomes: exact and fixed, so computed once per service (in the job pool). */
  let theoryClaims: Promise<ClaimResult[]> | null = null;

  /** Every claim's result in registry order: experiments from the archive now, theory from the cache. */
  async function claimResults(seeds: number[]): Promise<ClaimResult[]> {
    const theory = await theoryResults();
    const experiments = collectResults(ctx.archive, CLAIMS.filter((c) => c.kind === 'experiment'), seeds);
    return CLAIMS.map((c) => (c.kind === 'theory' ? theory : experiments).find((r) => r.claim.id === c.id)!);
  }

  /**
   * Every claim's result on evaluation seeds, read in rounds as `dplab reproduce run --until-decided`
   * adds them (replayed from the archive; nothing is trained), with the seeds each claim was judged on.
   */
  async function evaluationResults(maxSeeds: number): Promise<{ seeds: number[]; results: ClaimResult[]; seedsByClaim: Record<string, number[]>; undecided: string[] }> {
    const theory = await theoryResults();
    const out = await untilDecided(ctx.archive, CLAIMS.filter((c) => c.kind === 'experiment'), { maxSeeds });
    const results = CLAIMS.map((c) => (c.kind === 'theory' ? theory : out.results).find((r) => r.claim.id === c.id)!);
    const seeds = [...new Set(Object.values(out.seeds).flat())].sort((p, q) => p - q);
    return { seeds, results, seedsByClaim: out.seeds, undecided: out.undecided };
  }

  /** The seeds a reproduce request reads: named, or every seed held (at least 3); `evaluation` excludes `seeds`. */
  function readSeeds(a: { seeds?: number | undefined; evaluation?: boolean | undefined; maxSeeds?: number | undefined }): number[] | null {
    if (a.evaluation && a.seeds !== undefined) throw new ServiceError('invalid-args', 'seeds and evaluation exclude each other: evaluation picks the evaluation seeds itself (maxSeeds caps them)');
    if (!a.evaluation && a.maxSeeds !== undefined) throw new ServiceError('invalid-args', 'maxSeeds goes with evaluation');
    if (a.evaluation) return null;
    return a.seeds !== undefined ? Array.from({ length: a.seeds }, (_, i) => i) : defaultSeeds(ctx.archive);
  }

  /** The theory claims' results, computed once in the job pool. */
  async function theoryResults(): Promise<ClaimResult[]> {
    if (!theoryClaims) {
      const p = ctx.jobs.run({ kind: 'reproduce.theory' }, { timeoutMs: ctx.opts.jobs?.theoryTimeoutMs ?? 5 * 60_000 }).then((r) => jobResult('reproduce.theory', r) as ClaimResult[]);
      theoryClaims = p;
      p.catch(() => {
        if (theoryClaims === p) theoryClaims = null; // a cancelled or failed computation is tried again next time
      });
    }
    return theoryClaims;
  }

  return {
    'reproduce.results': async (a) => {
      const seeds = readSeeds(a);
      if (seeds === null) {
        const { undecided: _u, ...out } = await evaluationResults(a.maxSeeds ?? DEFAULT_MAX_SEEDS);
        return out;
      }
      return { seeds, results: await claimResults(seeds) };
    },
    'reproduce.run': async (a) => {
      let claims;
      try {
        claims = selectClaims(a.claims);
      } catch (e) {
        throw new ServiceError('invalid-args', (e as Error).message);
      }
      if (!a.evaluation && a.maxSeeds !== undefined) throw new ServiceError('invalid-args', 'maxSeeds goes with evaluation');
      let plan: PlannedRun[];
      if (a.evaluation) {
        // One round: each named claim still undecided gets the seeds of its next look.
        const maxSeeds = a.maxSeeds ?? DEFAULT_MAX_SEEDS;
        const experiments = claims.filter((c) => c.kind === 'experiment');
        const out = await untilDecided(ctx.archive, experiments, { maxSeeds });
        const byHash = new Map<string, PlannedRun>();
        for (const c of experiments) {
          if (!out.undecided.includes(c.id)) continue;
          const look = nextLook(out.seeds[c.id]?.length ?? 0, maxSeeds);
          if (look !== null) for (const p of planRuns([c], evalSeeds(look))) byHash.set(p.hash, p);
        }
        plan = [...byHash.values()];
      } else plan = planRuns(claims, Array.from({ length: a.seeds }, (_, i) => i));
      const { def, members, reused } = missingSweep(ctx.archive, plan);
      if (members.length === 0) return { sweepId: null, queued: 0, reused };
      refuseUnfit(ctx, members);
      const { sweepId, runIds } = ctx.manager.submitSweep(def, members);
      for (const r of runIds) ctx.archive.addTags(r, [REPRODUCE_TAG]);
      ctx.lastSweepProgress.set(sweepId, `0/${runIds.length}`);
      ctx.emit({ type: 'sweep.progress', sweepId, done: 0, total: runIds.length });
      return { sweepId, queued: runIds.length, reused };
    },
    'reproduce.report': async (a) => {
      const named = readSeeds(a);
      const maxSeeds = a.maxSeeds ?? DEFAULT_MAX_SEEDS;
      const evaluation = named === null ? await evaluationResults(maxSeeds) : null;
      const seeds = named ?? evaluation!.seeds;
      const results = evaluation ? evaluation.results : await claimResults(seeds);
      const any = ctx.archive.listRuns({ tag: REPRODUCE_TAG, status: 'completed', limit: 1 })[0];
      const content = htmlReport(results, {
        date: new Date().toISOString().slice(0, 10),
        machine: `${process.platform}/${process.arch}, Node ${process.versions.node}`,
        training: trainingTime(ctx.archive, CLAIMS, seeds),
        seeds,
        backend: any?.summary?.backend ?? 'unknown',
        appVersion: APP_VERSION,
        ...(evaluation ? { maxSeeds, seedsByClaim: evaluation.seedsByClaim } : {}),
      });
      return { filename: 'directpred-lab-reproduction.html', mime: 'text/html', content };
    },
  };
}

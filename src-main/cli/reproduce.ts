/**
 * `dplab reproduce list | run <claim…|all> | report`: the paper's claims as experiments with
 * verdicts (src-main/reproduce/). `run` trains what the archive does not hold yet (resumable) and
 * prints the verdicts; `report` writes the HTML and Markdown report from the archive.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { openArchive, type Archive } from '../archive/archive.ts';
import { resolveArchivePath } from '../archive/paths.ts';
import { LOOK_SCHEDULE } from '../math/sequential.ts';
import { armSetup, CLAIMS, DEVELOPMENT_SEEDS, EVAL_SEED_BASE, LAB_BASE, type Claim } from '../reproduce/claims.ts';
import type { SetupInput } from '../common/setup.ts';
import { claimFigures, htmlReport, markdownReport, type ReportContext } from '../reproduce/report.ts';
import { DEFAULT_MAX_SEEDS, type ClaimResult } from '../reproduce/verdict.ts';
import { collectResults, defaultSeeds, MAX_SEEDS, planRuns, selectClaims, trainingTime, trainMissing, untilDecided, type DecideOutcome, type PlannedRun } from '../runs/reproduce.ts';
import { APP_VERSION } from '../common/version.ts';
import { intOption, runVerbs, UsageError, type ParsedArgs, type Verbs } from './args.ts';
import type { MemberState } from '../runs/executor.ts';
import { FINAL_STATUSES } from '../common/events.ts';

/** What `dplab reproduce --help` explains below the verbs. */
const ABOUT = `The paper's claims (Tian, Chen & Ganguli, ICML 2021) as runnable experiments with verdicts at lab
scale. 'run' trains each (arm, seed) a claim needs that the archive does not hold yet (so a second
run resumes), then prints each claim's verdict: reproduced / not reproduced / inconclusive / not
run, from paired differences over seeds against each test's margin (its protocol: superiority,
non-inferiority or equivalence), read with a group-sequential repeated confidence interval that
stays valid after every round of seeds. Theory claims are computed exactly.
'report' writes report.html (self-contained), report.md and figures/*.svg to --out (default
./reproduction).
--seeds N: root seeds 0 … N−1 (at least 3 for an interval). Default: every seed the archive holds\ncomplete for these claims, at least 3, so a verdict never leaves out runs it has.
--until-decided: judge on evaluation seeds (${EVAL_SEED_BASE}, ${EVAL_SEED_BASE + 1}, …; seeds ${DEVELOPMENT_SEEDS.from}–${DEVELOPMENT_SEEDS.to}
tuned the lab scale) and add them in rounds, to ${LOOK_SCHEDULE.join(', ')} seeds, until every test of a
claim is decided or --max-seeds (default ${DEFAULT_MAX_SEEDS}, at most ${MAX_SEEDS}) is reached; each round trains
only the arms of claims still undecided. With 'report' it reads the same rounds back from the archive.
--base FILE: a (partial) setup to run the arms on instead of the lab-scale base, e.g. a bigger
model and more steps on a GPU; each arm's own fields (method, predictor, …) still apply.
--concurrency N: runs trained at once (default: one per core); each trains on one thread, so a run's
results are the same bit for bit however many run beside it.`;

function seedsOf(v: string): number[] {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_SEEDS) throw new UsageError(`--seeds must be an integer from 1 to ${MAX_SEEDS}, got '${v}'`);
  return Array.from({ length: n }, (_, i) => i);
}

/** Reads a base setup file; every arm must give a valid setup on it (checked now, before any run). */
function readBase(file: string): SetupInput {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`--base ${file}: ${(e as Error).message}`, { cause: e });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`--base ${file}: a setup must be a JSON object`);
  try {
    for (const c of CLAIMS) if (c.kind === 'experiment') for (const arm of c.arms) armSetup(arm, 0, raw as SetupInput);
  } catch (e) {
    throw new Error(`--base ${file}: ${(e as Error).message}`, { cause: e });
  }
  return raw as SetupInput;
}

function printVerdicts(results: readonly ClaimResult[], seedsOf?: Record<string, number[]>): void {
  for (const r of results) {
    const s = seedsOf?.[r.claim.id];
    console.log(`${r.verdict.padEnd(15)} ${r.claim.id}  (${r.claim.paper.where})${s ? ` — ${s.length} evaluation seeds, ${s[0]}–${s.at(-1)}` : ''}`);
    if (r.kind === 'experiment') {
      for (const t of r.tests) console.log(`                  ${t.description}: ${t.difference ? `${t.difference.mean.toPrecision(3)} over ${t.seeds.length} seeds, ` : ''}${t.reason}`);
      if (r.missing.length) console.log(`                  missing: ${r.missing.join('; ')}`);
    } else {
      for (const e of r.outcome.evidence.filter((x) => !x.holds)) console.log(`                  fails: ${e.label} = ${e.value} (${e.condition})`);
    }
  }
}

function context(archive: Archive, claims: Claim[], seeds: number[], base: SetupInput): ReportContext {
  const runs = archive.listRuns({ tag: 'reproduce', limit: 1 });
  const backend = (runs[0]?.summary?.backend as string | undefined) ?? 'unknown';
  const c = cpus();
  return { date: new Date().toISOString().slice(0, 10), machine: `${c.length} × ${c[0]?.model ?? 'cpu'}, ${process.platform}/${process.arch}, Node ${process.versions.node}`, training: trainingTime(archive, claims, seeds, base), seeds, backend, appVersion: APP_VERSION };
}

/** Writes report.html, report.md and figures/ into `dir`; returns the files written. */
export function writeReport(dir: string, results: readonly ClaimResult[], ctx: ReportContext): string[] {
  mkdirSync(join(dir, 'figures'), { recursive: true });
  const files: string[] = [];
  for (const r of results) {
    for (const f of claimFigures(r)) {
      writeFileSync(join(dir, 'figures', f.file), f.svg);
      files.push(join(dir, 'figures', f.file));
    }
  }
  writeFileSync(join(dir, 'report.md'), markdownReport(results, ctx, 'figures'));
  writeFileSync(join(dir, 'report.html'), htmlReport(results, ctx));
  files.push(join(dir, 'report.md'), join(dir, 'report.html'));
  return files;
}

/** The options `run` and `report` share: which seeds, and the base setup. */
const SEED_OPTIONS = ['seeds', 'max-seeds', 'base', 'archive'];

/** The verbs of `dplab reproduce`, each with its own options. */
export const REPRODUCE_VERBS: Verbs = {
  command: 'reproduce',
  verbs: {
    list: {
      usage: 'list',
      options: {},
      run: (a) => {
        if (a.positional.length) throw new UsageError(`list takes no arguments (got '${a.positional[0]}')`);
        for (const c of CLAIMS) console.log(`${c.id.padEnd(28)} ${c.kind.padEnd(10)} ${c.paper.where.padEnd(34)} ${c.title}`);
        return 0;
      },
    },
    run: {
      usage: 'run <claim…|all> [--seeds N | --until-decided [--max-seeds N]] [--base FILE] [--concurrency N] [--backend NAME] [--archive FILE] [--json]',
      about: ABOUT,
      options: { string: [...SEED_OPTIONS, 'concurrency', 'backend'], boolean: ['until-decided', 'json'] },
      run: (a) => reproduce('run', a),
    },
    report: {
      usage: 'report [<claim…|all>] [--seeds N | --until-decided [--max-seeds N]] [--base FILE] [--out DIR] [--archive FILE]',
      about: ABOUT,
      options: { string: [...SEED_OPTIONS, 'out'], boolean: ['until-decided'] },
      run: (a) => reproduce('report', a),
    },
  },
  footer: ABOUT,
};

/** Entry point of `dplab reproduce`. */
export function reproduceCommand(argv: string[]): Promise<number> {
  return runVerbs(REPRODUCE_VERBS, argv);
}

/** `run` (train what is missing, print the verdicts) and `report` (write the report from the archive). */
async function reproduce(sub: 'run' | 'report', a: ParsedArgs): Promise<number> {
  const ids = a.positional;
  let seeds: number[] | undefined;
  let base: SetupInput = LAB_BASE;
  let maxSeeds: number | null = null;
  if (a.flags['until-decided']) {
    if (a.strings.seeds !== undefined) throw new UsageError('--seeds and --until-decided exclude each other: --until-decided picks the evaluation seeds itself (--max-seeds caps them)');
    maxSeeds = intOption(a, 'max-seeds', 3, MAX_SEEDS) ?? DEFAULT_MAX_SEEDS;
  } else if (a.strings['max-seeds'] !== undefined) throw new UsageError('--max-seeds goes with --until-decided');
  try {
    if (a.strings.base !== undefined) base = readBase(a.strings.base);
    if (sub === 'run' && ids.length === 0) throw new Error("name the claims to run, or 'all' (dplab reproduce list shows them)");
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let claims: Claim[];
  try {
    claims = selectClaims(ids);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (a.strings.seeds !== undefined) seeds = seedsOf(a.strings.seeds);
  const concurrency = intOption(a, 'concurrency', 1, 64);
  const backend = a.strings.backend ?? 'auto';
  let archive: Archive | undefined;
  const abort = new AbortController();
  const onSigint = () => {
    console.error('cancelling… (runs finished so far are kept; run the same command again to resume)');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    archive = openArchive(resolveArchivePath(a.strings.archive));
    if (maxSeeds !== null) return await decideCommand(sub, archive, claims, maxSeeds, base, a, { concurrency, backend, signal: abort.signal });
    seeds ??= defaultSeeds(archive, claims, base);
    if (sub === 'run') {
      const started = Date.now();
      const { reused, states, planned } = await trainRound(archive, planRuns(claims, seeds, base), { concurrency, backend, base, signal: abort.signal }, '');
      if (reused < planned) console.error(`trained ${states.length} run(s) in ${((Date.now() - started) / 60000).toFixed(1)} min`);
      if (abort.signal.aborted) return 130;
    }
    const results = collectResults(archive, claims, seeds, base);
    if (sub === 'run') {
      if (a.flags.json) console.log(verdictsJson(results));
      else printVerdicts(results);
      return 0;
    }
    const dir = resolve(a.strings.out ?? 'reproduction');
    const files = writeReport(dir, results, { ...context(archive, claims, seeds, base), base: base === LAB_BASE ? null : a.strings.base! });
    console.error(`wrote ${files.length} file(s) to ${dir}: report.html, report.md, figures/`);
    printVerdicts(results);
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    archive?.close();
  }
}

/** The verdicts as `--json` prints them; `seedsOf`: each claim's evaluation seeds (--until-decided). */
function verdictsJson(results: readonly ClaimResult[], seedsOf?: Record<string, number[]>): string {
  return JSON.stringify(
    results.map((r) => ({
      id: r.claim.id,
      verdict: r.verdict,
      ...(r.kind === 'experiment'
        ? {
            ...(seedsOf ? { seeds: seedsOf[r.claim.id] ?? [] } : {}),
            tests: r.tests.map((t) => ({ test: t.description, protocol: t.protocol, margin: t.test.margin, rationale: t.test.rationale, seeds: t.seeds, pairs: t.pairs, difference: t.difference, verdict: t.verdict, reason: t.reason })),
            missing: r.missing,
          }
        : { evidence: r.outcome.evidence }),
    })),
    null,
    2,
  );
}

/**
 * Trains the missing runs of `plan`, printing how many are needed, reused (and waited for in
 * another process) and each that ends; `indent` sets the lines of a round apart.
 */
async function trainRound(
  archive: Archive,
  plan: PlannedRun[],
  opts: { concurrency: number | undefined; backend: string; base: SetupInput; signal: AbortSignal },
  indent = '  ',
): Promise<{ reused: number; states: MemberState[]; planned: number }> {
  let finished = 0;
  let toTrain = 0;
  const { reused, states } = await trainMissing(archive, plan, {
    ...opts,
    onProgress: (p) => {
      if (!p.member) {
        toTrain = plan.length - p.reused;
        const elsewhere = p.inFlight ? ` (${p.inFlight} of them queued or training in another process, waited for)` : '';
        console.error(`${indent}${plan.length} run(s) needed, ${p.reused} already in the archive${elsewhere}, ${toTrain} to train`);
        return;
      }
      if (FINAL_STATUSES.has(p.member.status) && p.member.status !== 'interrupted') {
        finished++;
        console.error(`${indent}[${finished}/${toTrain}] ${p.member.status.padEnd(9)} ${p.member.name ?? p.member.runUuid}${p.member.detail && p.member.status !== 'completed' ? `: ${p.member.detail.split('\n')[0]}` : ''}`);
      }
    },
  });
  return { reused, states, planned: plan.length };
}

/** `run`/`report` with --until-decided: rounds of evaluation seeds (trained by `run`, read back by `report`). */
async function decideCommand(
  sub: string,
  archive: Archive,
  claims: Claim[],
  maxSeeds: number,
  base: SetupInput,
  a: ParsedArgs,
  opts: { concurrency: number | undefined; backend: string; signal: AbortSignal },
): Promise<number> {
  const started = Date.now();
  const out: DecideOutcome = await untilDecided(archive, claims, {
    maxSeeds,
    base,
    signal: opts.signal,
    ...(sub === 'run' ? { train: async (plan: PlannedRun[]) => void (await trainRound(archive, plan, { concurrency: opts.concurrency, backend: opts.backend, base, signal: opts.signal })) } : {}),
    onRound: (r) => console.error(`round to ${r.look} seeds (${r.seeds[0]}–${r.seeds.at(-1)}): ${r.running.length} claim(s) open, decided now: ${r.decided.length ? r.decided.join(', ') : 'none'}`),
  });
  if (out.stopped === 'cancelled') return 130;
  if (sub === 'run') console.error(`rounds took ${((Date.now() - started) / 60000).toFixed(1)} min`);
  const atMax = out.undecided.filter((id) => !out.stalled.includes(id));
  if (atMax.length) console.error(`undecided at the maximum of ${maxSeeds} seeds: ${atMax.join(', ')}`);
  if (out.stalled.length) console.error(`undecided, the archive holds no complete next round (run 'dplab reproduce run … --until-decided' first): ${out.stalled.join(', ')}`);
  const { results } = out;
  if (sub === 'run') {
    if (a.flags.json) console.log(verdictsJson(results, out.seeds));
    else printVerdicts(results, out.seeds);
    return 0;
  }
  const all = [...new Set(Object.values(out.seeds).flat())].sort((p, q) => p - q);
  const dir = resolve(a.strings.out ?? 'reproduction');
  const files = writeReport(dir, results, { ...context(archive, claims, all, base), base: base === LAB_BASE ? null : a.strings.base!, maxSeeds, seedsByClaim: out.seeds });
  console.error(`wrote ${files.length} file(s) to ${dir}: report.html, report.md, figures/`);
  printVerdicts(results, out.seeds);
  return 0;
}

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
import type { SetupInput } from '../spec/setup.ts';
import { claimFigures, htmlReport, markdownReport, type ReportContext } from '../reproduce/report.ts';
import { DEFAULT_MAX_SEEDS, type ClaimResult } from '../reproduce/verdict.ts';
import { collectResults, defaultSeeds, MAX_SEEDS, planRuns, selectClaims, trainingTime, trainMissing, untilDecided, type DecideOutcome, type PlannedRun } from '../runs/reproduce.ts';
import { APP_VERSION } from '../spec/version.ts';
import { parseArgs } from './args.ts';

const HELP = `usage: dplab reproduce list
       dplab reproduce run <claim…|all> [--seeds N | --until-decided [--max-seeds N]] [--base FILE] [--concurrency N] [--backend NAME] [--archive FILE] [--json]
       dplab reproduce report [<claim…|all>] [--seeds N | --until-decided [--max-seeds N]] [--base FILE] [--out DIR] [--archive FILE]

The paper's claims (Tian, Chen & Ganguli, ICML 2021) as runnable experiments with verdicts at lab
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
model and more steps on a GPU; each arm's own fields (method, predictor, …) still apply.`;

function seedsOf(v: string): number[] {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_SEEDS) throw new Error(`--seeds must be an integer from 1 to ${MAX_SEEDS}, got '${v}'`);
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

/** Entry point of `dplab reproduce`. */
export async function reproduceCommand(argv: string[]): Promise<number> {
  const a = parseArgs(argv, { string: ['seeds', 'concurrency', 'backend', 'archive', 'out', 'base', 'max-seeds'], boolean: ['json', 'help', 'until-decided'] });
  const [sub, ...ids] = a.positional;
  if (a.flags.help || !sub) {
    console.log(HELP);
    return a.flags.help ? 0 : 2;
  }
  if (a.error) {
    console.error(`dplab reproduce: ${a.error}\n\n${HELP}`);
    return 2;
  }
  if (sub === 'list') {
    for (const c of CLAIMS) console.log(`${c.id.padEnd(28)} ${c.kind.padEnd(10)} ${c.paper.where.padEnd(34)} ${c.title}`);
    return 0;
  }
  if (sub !== 'run' && sub !== 'report') {
    console.error(`dplab reproduce: unknown sub-command '${sub}'\n\n${HELP}`);
    return 2;
  }
  let claims: Claim[];
  let seeds: number[] | undefined;
  let concurrency: number | undefined;
  let base: SetupInput = LAB_BASE;
  let maxSeeds: number | null = null;
  try {
    if (a.flags['until-decided']) {
      if (a.strings.seeds !== undefined) throw new Error('--seeds and --until-decided exclude each other: --until-decided picks the evaluation seeds itself (--max-seeds caps them)');
      const m = a.strings['max-seeds'] ?? String(DEFAULT_MAX_SEEDS);
      maxSeeds = Number(m);
      if (!Number.isInteger(maxSeeds) || maxSeeds < 3 || maxSeeds > MAX_SEEDS) throw new Error(`--max-seeds must be an integer from 3 to ${MAX_SEEDS}, got '${m}'`);
    } else if (a.strings['max-seeds'] !== undefined) throw new Error('--max-seeds goes with --until-decided');
    if (a.strings.base !== undefined) base = readBase(a.strings.base);
    if (sub === 'run' && ids.length === 0) throw new Error("name the claims to run, or 'all' (dplab reproduce list shows them)");
    claims = selectClaims(ids);
    if (a.strings.seeds !== undefined) seeds = seedsOf(a.strings.seeds);
    if (a.strings.concurrency !== undefined) {
      concurrency = Number(a.strings.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new Error(`--concurrency must be an integer from 1 to 64, got '${a.strings.concurrency}'`);
    }
  } catch (e) {
    console.error(`dplab reproduce: ${(e as Error).message}`);
    return 2;
  }
  let archive: Archive | undefined;
  const abort = new AbortController();
  const onSigint = () => {
    console.error('cancelling… (runs finished so far are kept; run the same command again to resume)');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    archive = openArchive(resolveArchivePath(a.strings.archive));
    if (maxSeeds !== null) return await decideCommand(sub, archive, claims, maxSeeds, base, a, { concurrency, signal: abort.signal });
    seeds ??= defaultSeeds(archive, claims, base);
    if (sub === 'run') {
      const plan = planRuns(claims, seeds, base);
      const started = Date.now();
      let finished = 0;
      const { reused, states } = await trainMissing(archive, plan, {
        concurrency,
        backend: a.strings.backend ?? 'auto',
        base,
        signal: abort.signal,
        onProgress: (p) => {
          if (!p.member) {
            const elsewhere = p.inFlight ? ` (${p.inFlight} of them queued or training in another process, waited for)` : '';
            console.error(`${plan.length} run(s) needed, ${p.reused} already in the archive${elsewhere}, ${plan.length - p.reused} to train`);
            return;
          }
          if (p.member.status === 'completed' || p.member.status === 'failed' || p.member.status === 'diverged' || p.member.status === 'cancelled') {
            finished++;
            console.error(`[${finished}/${plan.length - p.reused}] ${p.member.status.padEnd(9)} ${p.member.name ?? p.member.runUuid}${p.member.detail && p.member.status !== 'completed' ? `: ${p.member.detail.split('\n')[0]}` : ''}`);
          }
        },
      });
      if (reused < plan.length) console.error(`trained ${states.length} run(s) in ${((Date.now() - started) / 60000).toFixed(1)} min`);
      if (abort.signal.aborted) return 130;
    }
    const results = collectResults(archive, claims, seeds, base);
    if (sub === 'run') {
      if (a.flags.json) console.log(JSON.stringify(results.map((r) => ({ id: r.claim.id, verdict: r.verdict, ...(r.kind === 'experiment' ? { tests: r.tests.map((t) => ({ test: t.description, protocol: t.protocol, margin: t.test.margin, rationale: t.test.rationale, seeds: t.seeds, pairs: t.pairs, difference: t.difference, verdict: t.verdict, reason: t.reason })), missing: r.missing } : { evidence: r.outcome.evidence }) })), null, 2));
      else printVerdicts(results);
      return 0;
    }
    const dir = resolve(a.strings.out ?? 'reproduction');
    const files = writeReport(dir, results, { ...context(archive, claims, seeds, base), base: base === LAB_BASE ? null : a.strings.base! });
    console.error(`wrote ${files.length} file(s) to ${dir}: report.html, report.md, figures/`);
    printVerdicts(results);
    return 0;
  } catch (e) {
    console.error(`dplab reproduce: ${(e as Error).message}`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
    archive?.close();
  }
}

/** Trains one round's missing runs, with the same progress lines as a plain `run`. */
async function trainRound(archive: Archive, plan: PlannedRun[], opts: { concurrency: number | undefined; backend: string; base: SetupInput; signal: AbortSignal }): Promise<void> {
  let finished = 0;
  let toTrain = 0;
  await trainMissing(archive, plan, {
    concurrency: opts.concurrency,
    backend: opts.backend,
    base: opts.base,
    signal: opts.signal,
    onProgress: (p) => {
      if (!p.member) {
        toTrain = plan.length - p.reused;
        console.error(`  ${plan.length} run(s) needed, ${p.reused} already in the archive, ${toTrain} to train`);
        return;
      }
      if (['completed', 'failed', 'diverged', 'cancelled'].includes(p.member.status)) {
        finished++;
        console.error(`  [${finished}/${toTrain}] ${p.member.status.padEnd(9)} ${p.member.name ?? p.member.runUuid}${p.member.detail && p.member.status !== 'completed' ? `: ${p.member.detail.split('\n')[0]}` : ''}`);
      }
    },
  });
}

/** `run`/`report` with --until-decided: rounds of evaluation seeds (trained by `run`, read back by `report`). */
async function decideCommand(
  sub: string,
  archive: Archive,
  claims: Claim[],
  maxSeeds: number,
  base: SetupInput,
  a: ReturnType<typeof parseArgs>,
  opts: { concurrency: number | undefined; signal: AbortSignal },
): Promise<number> {
  const started = Date.now();
  const out: DecideOutcome = await untilDecided(archive, claims, {
    maxSeeds,
    base,
    signal: opts.signal,
    ...(sub === 'run' ? { train: (plan: PlannedRun[]) => trainRound(archive, plan, { concurrency: opts.concurrency, backend: a.strings.backend ?? 'auto', base, signal: opts.signal }) } : {}),
    onRound: (r) => console.error(`round to ${r.look} seeds (${r.seeds[0]}–${r.seeds.at(-1)}): ${r.running.length} claim(s) open, decided now: ${r.decided.length ? r.decided.join(', ') : 'none'}`),
  });
  if (out.stopped === 'cancelled') return 130;
  if (sub === 'run') console.error(`rounds took ${((Date.now() - started) / 60000).toFixed(1)} min`);
  const atMax = out.undecided.filter((id) => !out.stalled.includes(id));
  if (atMax.length) console.error(`undecided at the maximum of ${maxSeeds} seeds: ${atMax.join(', ')}`);
  if (out.stalled.length) console.error(`undecided, the archive holds no complete next round (run 'dplab reproduce run … --until-decided' first): ${out.stalled.join(', ')}`);
  const { results } = out;
  if (sub === 'run') {
    if (a.flags.json)
      console.log(
        JSON.stringify(
          results.map((r) => ({ id: r.claim.id, verdict: r.verdict, ...(r.kind === 'experiment' ? { seeds: out.seeds[r.claim.id] ?? [], tests: r.tests.map((t) => ({ test: t.description, protocol: t.protocol, margin: t.test.margin, rationale: t.test.rationale, seeds: t.seeds, pairs: t.pairs, difference: t.difference, verdict: t.verdict, reason: t.reason })), missing: r.missing } : { evidence: r.outcome.evidence }) })),
          null,
          2,
        ),
      );
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

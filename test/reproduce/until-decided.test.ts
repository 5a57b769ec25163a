/**
 * `--until-decided`: rounds of evaluation seeds (1000, 1001, …) up to the sequential design's looks
 * (3, 5, 8, …), until every test of a claim is decided or the maximum is reached. Runs are
 * fabricated in a real archive (test/reproduce/arm-run.ts) with values chosen so the test knows
 * where each claim decides — no training. Then the real CLI reads the same rounds back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openArchive } from '../../src-main/archive/archive.ts';
import { claimById, EVAL_SEED_BASE, type ArmId } from '../../src-main/reproduce/claims.ts';
import { completedRuns, evalSeeds, untilDecided, type DecideRound, type PlannedRun } from '../../src-main/runs/reproduce.ts';
import { recordArmRun } from './arm-run.ts';
import { LabService, type ServiceReply } from '../../src-main/service/service.ts';
import type { TrainerHandle } from '../../src-main/runs/manager.ts';
import type { ClaimResult } from '../../src-main/reproduce/verdict.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Final output spread per arm and evaluation seed k = seed − 1000:
 * - no predictor collapses far below its random init (decides at the first look);
 * - DirectPred sits 0.6 above no predictor (decides at the first look);
 * - linear sits 0.3 above no predictor with a seed spread of about 0.08, so "linear > none by more
 *   than 0.1" needs more than 3 seeds (t = 4.4 against a first boundary of 7.4) and decides at 5;
 * - symmetric with EMA alternates 0.1 ± 0.2 above symmetric without EMA: its mean sits on the margin
 *   and never decides.
 */
const LINEAR_NOISE = [0.08, -0.08, 0.06, -0.06, 0.08, -0.1, 0.12, -0.12];
function spread(arm: ArmId, seed: number): number {
  const k = seed - EVAL_SEED_BASE;
  const none = 0.07 + 0.01 * (k % 3);
  if (arm === 'none') return none;
  if (arm === 'linear') return none + 0.3 + LINEAR_NOISE[k]!;
  if (arm === 'directpred') return none + 0.6 + 0.01 * (k % 2);
  if (arm === 'symmetric-no-ema') return 0.4;
  if (arm === 'symmetric-ema') return 0.5 + 0.2 * (k % 2 ? 1 : -1);
  throw new Error(`no value for ${arm}`);
}

function dplab(args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'dplab.mjs'), ...args], { encoding: 'utf8', timeout: 120_000 });
}

test('until decided: seeds added in rounds at the looks, decided tests kept, undecided claims stop at the maximum; the CLI reads the same rounds', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-decide-'));
  try {
    const file = join(dir, 'lab.sqlite');
    const claims = [claimById('no-predictor-collapses')!, claimById('symmetric-needs-ema')!];
    const trained: PlannedRun[][] = [];
    const rounds: DecideRound[] = [];
    const archive = openArchive(file);
    let outcome;
    try {
      outcome = await untilDecided(archive, claims, {
        maxSeeds: 8,
        train: async (plan) => {
          const held = completedRuns(archive, plan);
          const missing = plan.filter((p) => !held.has(p.hash));
          trained.push(missing);
          for (const p of missing) recordArmRun(file, p.arm, p.seed, spread(p.arm, p.seed), 0.78);
        },
        onRound: (r) => rounds.push(r),
      });
    } finally {
      archive.close();
    }
    assert.deepEqual(
      rounds.map((r) => r.look),
      [3, 5, 8],
    );
    assert.deepEqual(rounds[0]!.seeds, [1000, 1001, 1002], 'evaluation seeds, not the development seeds 0–6');
    // Round 1 trains both claims' arms at 3 seeds; later rounds only what is still open.
    assert.equal(trained[0]!.length, 5 * 3);
    const decidedAt = rounds.find((r) => r.decided.includes('no-predictor-collapses'))!.look;
    assert.equal(decidedAt, 5, 'linear > none needs the second look');
    assert.equal(trained[1]!.length, 5 * 2, 'round to 5: both claims open, 2 new seeds');
    assert.deepEqual(new Set(trained[2]!.map((p) => p.arm)), new Set(['symmetric-ema', 'symmetric-no-ema']), 'round to 8 trains only the open claim');
    assert.equal(trained[2]!.length, 2 * 3);
    assert.equal(outcome.stopped, 'done');
    assert.deepEqual(outcome.undecided, ['symmetric-needs-ema']);
    assert.deepEqual(outcome.stalled, []);
    assert.deepEqual(outcome.seeds['no-predictor-collapses'], evalSeeds(decidedAt));
    assert.deepEqual(outcome.seeds['symmetric-needs-ema'], evalSeeds(8));
    const np = outcome.results.find((r) => r.claim.id === 'no-predictor-collapses')!;
    assert.equal(np.kind, 'experiment');
    if (np.kind !== 'experiment') return;
    assert.equal(np.verdict, 'reproduced');
    assert.equal(np.tests[0]!.seeds.length, 3, 'the collapse test decided at the first look and keeps that verdict');
    assert.equal(np.tests[1]!.seeds.length, decidedAt);
    assert.equal(np.tests[2]!.seeds.length, 3, 'DirectPred above no predictor: decided at the first look');
    const sym = outcome.results.find((r) => r.claim.id === 'symmetric-needs-ema')!;
    assert.ok(sym.kind === 'experiment');
    if (sym.kind !== 'experiment') return;
    // kNN is equal on every seed (the fabricated runs all read 0.5): no 5-point gain, decided at 3.
    assert.equal(sym.tests[0]!.verdict, 'not reproduced');
    assert.equal(sym.tests[0]!.seeds.length, 3);
    assert.equal(sym.tests[1]!.verdict, 'inconclusive');
    assert.equal(sym.tests[1]!.seeds.length, 8);
    assert.equal(sym.verdict, 'not reproduced');

    // The real CLI: every run is in the archive, so `run` trains nothing and reaches the same verdicts.
    const run = dplab(['reproduce', 'run', 'no-predictor-collapses', 'symmetric-needs-ema', '--until-decided', '--max-seeds', '8', '--archive', file, '--json']);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /round to 3 seeds \(1000–1002\)/);
    assert.doesNotMatch(run.stderr, /[1-9]\d* to train/);
    assert.match(run.stderr, /undecided at the maximum of 8 seeds: symmetric-needs-ema/);
    const json = JSON.parse(run.stdout) as { id: string; verdict: string; seeds: number[] }[];
    assert.deepEqual(
      json.map((c) => [c.id, c.verdict, c.seeds.length]),
      [
        ['no-predictor-collapses', 'reproduced', decidedAt],
        ['symmetric-needs-ema', 'not reproduced', 8],
      ],
    );
    const out = join(dir, 'report');
    const rep = dplab(['reproduce', 'report', 'no-predictor-collapses', 'symmetric-needs-ema', '--until-decided', '--max-seeds', '8', '--archive', file, '--out', out]);
    assert.equal(rep.status, 0, rep.stderr);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    assert.match(md, /evaluation seeds: no tuning touched them/);
    assert.match(md, /development seeds 0–6/);
    assert.match(md, new RegExp(`Seeds: ${decidedAt} \\(1000–${999 + decidedAt}\\)`));
    assert.match(md, /Seeds: 8 \(1000–1007\)/);
    assert.match(md, /Lan & DeMets 1983/);
    assert.ok(md.indexOf('**Protocol**') < md.indexOf('**Verdict: reproduced**'), 'the protocol comes before the verdict');
    assert.match(md, /\| # \| seed \| measure \| arm \| value \| random init \| reference \| reference value \| paired difference \|/);
    assert.match(md, /\| 2 \| 1000 \| collapseStd \| linear \| 0\.450 \| 0\.780 \| none \(final\) \| 0\.070 \| 0\.380 \|/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.match(html, /<th>paired difference<\/th>/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('until decided: bad flags are refused before the archive is opened', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-decide-bad-'));
  try {
    const file = join(dir, 'lab.sqlite');
    const cases: [string[], RegExp][] = [
      [['--seeds', '3', '--until-decided'], /exclude each other/],
      [['--until-decided', '--max-seeds', '2'], /--max-seeds must be an integer from 3 to 20, got '2'/],
      [['--until-decided', '--max-seeds', '21'], /from 3 to 20/],
      [['--until-decided', '--max-seeds', 'x'], /got 'x'/],
      [['--max-seeds', '5'], /--max-seeds goes with --until-decided/],
    ];
    for (const [args, msg] of cases) {
      const r = dplab(['reproduce', 'run', 'all', ...args, '--archive', file]);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, msg);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A trainer stand-in that never reports and ends when killed: queued runs stay queued or running, nothing trains. */
function idleTrainer(): TrainerHandle {
  let onExit: (code: number | null, signal: string | null, tail: string) => void = () => {};
  return {
    pid: 999_999,
    port: { send: async () => {}, onMessage: () => {}, onClose: () => {}, close: () => {} },
    kill: () => setImmediate(() => onExit(null, 'SIGKILL', '')),
    onExit: (h) => (onExit = h),
  } as TrainerHandle;
}

function ok<T>(r: ServiceReply): T {
  assert.equal(r.ok, true, JSON.stringify(r).slice(0, 400));
  return (r as { result: T }).result;
}

test('the service (Paper view) reads evaluation seeds in rounds per claim and queues a claim’s next round', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-decide-svc-'));
  const file = join(dir, 'lab.sqlite');
  // no-predictor-collapses: rounds to 3 and 5 held (it decides at 5); symmetric-needs-ema: only its first round.
  for (const seed of evalSeeds(5)) for (const arm of ['none', 'linear', 'directpred'] as const) recordArmRun(file, arm, seed, spread(arm, seed), 0.78);
  for (const seed of evalSeeds(3)) for (const arm of ['symmetric-ema', 'symmetric-no-ema'] as const) recordArmRun(file, arm, seed, spread(arm, seed), 0.78);
  // Development-seed runs are not read in evaluation mode.
  recordArmRun(file, 'none', 0, 0.9, 0.78);
  const s = new LabService({ archivePath: file, transport: 'http', backend: 'wasm', concurrency: 1, dataDir: join(dir, 'data'), launch: idleTrainer });
  try {
    const r = ok<{ seeds: number[]; results: ClaimResult[]; seedsByClaim?: Record<string, number[]> }>(await s.handle('reproduce.results', { evaluation: true, maxSeeds: 8 }));
    const verdict = (id: string) => r.results.find((c) => c.claim.id === id)!.verdict;
    assert.equal(verdict('no-predictor-collapses'), 'reproduced');
    assert.deepEqual(r.seedsByClaim!['no-predictor-collapses'], evalSeeds(5));
    // symmetric-needs-ema: kNN decided at 3 (no gain), the spread test open — and its round to 5 is not held.
    assert.deepEqual(r.seedsByClaim!['symmetric-needs-ema'], evalSeeds(3));
    assert.equal(verdict('symmetric-needs-ema'), 'not reproduced');
    assert.equal(verdict('directpred-eps'), 'not run');
    assert.equal(r.seedsByClaim!['directpred-eps'], undefined);
    assert.deepEqual(r.seeds, evalSeeds(5));
    // The next round: symmetric-needs-ema to 5 seeds (2 arms × 2 new), no-predictor-collapses nothing (decided).
    const q = ok<{ queued: number; reused: number }>(await s.handle('reproduce.run', { claims: ['no-predictor-collapses', 'symmetric-needs-ema'], evaluation: true, maxSeeds: 8 }));
    assert.deepEqual([q.queued, q.reused], [4, 6], JSON.stringify(q));
    const names = ok<{ name: string | null }[]>(await s.handle('runs.list', { status: ['queued', 'running'] }))
      .map((x) => x.name)
      .sort();
    assert.deepEqual(names, ['reproduce/symmetric-ema/seed1003', 'reproduce/symmetric-ema/seed1004', 'reproduce/symmetric-no-ema/seed1003', 'reproduce/symmetric-no-ema/seed1004']);
    const html = ok<{ content: string }>(await s.handle('reproduce.report', { evaluation: true, maxSeeds: 8 })).content;
    assert.match(html, /evaluation seeds: no tuning touched them/);
    for (const bad of [{ evaluation: true, seeds: 3 }, { maxSeeds: 5 }, { evaluation: true, maxSeeds: 2 }]) {
      const e = await s.handle('reproduce.results', bad);
      assert.equal(e.ok, false, JSON.stringify(bad));
    }
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

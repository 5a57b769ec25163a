/**
 * The paper's claims added for issue 22 (item 5): the headline first, every new claim's arms a valid
 * lab-scale setup, and Fig. 2 judged on W_p's spectra series as the archive stores them (runs
 * fabricated in a real archive: first and last spectra rows, no training).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openArchive } from '../../src-main/archive/archive.ts';
import { armsOf, armSetup, CLAIMS, claimById, LAB_BASE } from '../../src-main/reproduce/claims.ts';
import { collectResults, negativePart } from '../../src-main/runs/reproduce.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import { evaluateTheory } from '../../src-main/reproduce/verdict.ts';

const NEW = ['headline-directpred', 'no-predictor-representation', 'no-weight-decay-drops', 'predictor-wd-rescues-symmetric', 'directpred-eps-large', 'directpred-rho', 'directpred-freq', 'optimal-predictor-fails', 'directpred-cj', 'fig2-wp-dynamics'];

test('the headline comes first; each new claim cites the paper, fixes its protocol and runs over the lab-scale base', () => {
  assert.equal(CLAIMS[0]!.id, 'headline-directpred');
  const headline = claimById('headline-directpred')!;
  assert.ok(headline.kind === 'experiment');
  assert.deepEqual(
    headline.tests.map((t) => [t.measure, 'arm' in t.reference ? t.reference.arm : null, t.kind]),
    [
      ['knnAcc', 'mlp', 'equivalence'],
      ['probeAcc', 'mlp', 'equivalence'],
      ['knnAcc', 'linear', 'superiority'],
      ['probeAcc', 'linear', 'superiority'],
    ],
  );
  const mlp = armSetup('mlp', 1000);
  assert.deepEqual(mlp.predictor, { kind: 'mlp', hidden: 32 });
  assert.equal(mlp.method, 'byol');
  for (const id of NEW) {
    const c = claimById(id);
    assert.ok(c && c.kind === 'experiment', id);
    assert.ok(c.paper.where.length > 3 && c.scaleNote.length > 20, id);
    for (const t of c.tests) assert.ok(t.margin > 0 && t.rationale.length > 20, `${id}: ${t.measure}`);
  }
  // Every arm parses over the lab base, and no two arms train the same setup.
  const hashes = armsOf(CLAIMS).map((a) => setupHash(armSetup(a, 1000, LAB_BASE)));
  assert.equal(new Set(hashes).size, hashes.length);
  // The knobs the variants turn are the ones the setup has.
  assert.deepEqual(
    (['directpred-eps05', 'directpred-rho05', 'directpred-freq5'] as const).map((a) => armSetup(a, 0).predictor),
    [
      { kind: 'directpred', rho: 0.3, eps: 0.5, freq: 1, freqPhase: 'last', bias: false },
      { kind: 'directpred', rho: 0.5, eps: 0.1, freq: 1, freqPhase: 'last', bias: false },
      { kind: 'directpred', rho: 0.3, eps: 0.1, freq: 5, freqPhase: 'last', bias: false },
    ],
  );
  assert.deepEqual(armSetup('optimal', 0).predictor, { kind: 'optimal', rho: 0.3, freq: 1, freqPhase: 'last', ridge: 0.01 });
  // Table 7's arms differ only in c_j, with ε = 0 as the paper's table has it.
  assert.deepEqual(
    (['directpred-cj01', 'directpred-cjm005'] as const).map((a) => armSetup(a, 0).predictor),
    [
      { kind: 'directpred', rho: 0.3, eps: 0, freq: 1, freqPhase: 'last', bias: false, cj: 0.1 },
      { kind: 'directpred', rho: 0.3, eps: 0, freq: 1, freqPhase: 'last', bias: false, cj: -0.05 },
    ],
  );
  assert.deepEqual([armSetup('symmetric-no-ema-pwd', 0).optim.weightDecay, armSetup('symmetric-no-ema-pwd', 0).optim.predictorWeightDecay], [0, 4e-4]);
});

test('W_p’s negative part: 0 when positive semi-definite, the most negative eigenvalue over the largest magnitude otherwise', () => {
  assert.equal(negativePart([2, 1, 0]), 0);
  assert.equal(negativePart([2, 1, -1]), 0.5);
  assert.equal(negativePart([1, -3]), 1);
  assert.equal(negativePart([]), null);
  assert.equal(negativePart([0, 0]), null);
  assert.equal(negativePart([1, Number.NaN]), null);
});

/** Records a linear-predictor run with two spectra rows (step 20 and the last), as the trainer stores them. */
function recordSpectraRun(file: string, seed: number, first: { asym: number; wpEig: number[]; align: number[] }, last: { asym: number; wpEig: number[]; align: number[] }): void {
  const a = openArchive(file);
  try {
    const setup = armSetup('linear', seed);
    const hash = setupHash(setup);
    const r = a.createRun({ setup: setup as unknown as Record<string, unknown>, setupHash: hash, seed, status: 'running', name: setup.name ?? null });
    const fEig = [3, 2, 1];
    const row = (step: number, x: typeof first) => ({ type: 'spectra' as const, step, epoch: step / 64, fEig, wpEig: x.wpEig, alignment: x.align, asymmetry: x.asym });
    const summary = { outcome: 'completed' as const, setupHash: hash, backend: 'wasm', steps: 2000, epochs: 31, finalLoss: 0.5, collapseStd: 0.5, effectiveRank: 4, probeAcc: 0.5, knnAcc: 0.5, imagesPerSec: 100, wallSec: 10, baseline: { probeAcc: 0.3, knnAcc: 0.3, collapseStd: 0.78, effectiveRank: 8 } };
    a.appendEvents(r.uuid, [row(20, first), row(2000, last), { type: 'finished', outcome: 'completed', summary }]);
  } finally {
    a.close();
  }
}

function fig2(file: string, seeds: number[]) {
  const a = openArchive(file, { readonly: true });
  try {
    const [r] = collectResults(a, [claimById('fig2-wp-dynamics')!], seeds);
    assert.ok(r && r.kind === 'experiment');
    return r;
  } finally {
    a.close();
  }
}

test('Fig. 2 on real runs: asymmetry, negative part and alignment judged from the first spectra step to the last', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-fig2-'));
  try {
    const seeds = [0, 1, 2, 3];
    const file = join(dir, 'turns.sqlite');
    // A random W_p (asymmetry ≈ √2, spectrum symmetric about 0, unaligned) turns symmetric, PSD, aligned.
    for (const s of seeds) recordSpectraRun(file, s, { asym: 1.4 + 0.01 * s, wpEig: [1, 0.2, -0.9 - 0.01 * s], align: [0.1, -0.1, 0] }, { asym: 0.1 + 0.01 * s, wpEig: [1, 0.5, 0.01 * s], align: [0.99, 0.97 - 0.01 * s, 0.9] });
    const r = fig2(file, seeds);
    assert.deepEqual(
      r.tests.map((t) => [t.test.measure, t.seeds.length, t.verdict]),
      [
        ['asymmetry', 4, 'reproduced'],
        ['wpNegEig', 4, 'reproduced'],
        ['alignment', 4, 'reproduced'],
      ],
    );
    assert.ok(Math.abs(r.tests[1]!.pairs[0]!.reference - 0.9) < 1e-6, 'the negative part at the first spectra step');
    assert.equal(r.verdict, 'reproduced');
    // Stays as it started: not reproduced.
    const still = join(dir, 'still.sqlite');
    const same = (s: number) => ({ asym: 1.4 + 0.01 * s, wpEig: [1, 0.2, -0.9 - 0.01 * s], align: [0.1, -0.1, 0.01 * s] });
    for (const s of seeds) recordSpectraRun(still, s, same(s), { ...same(s), asym: 1.38 + 0.02 * s });
    assert.equal(fig2(still, seeds).verdict, 'not reproduced');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('EMA curriculum (Obs. #8–#9): τ starts at 0, reaches 1 for β ≥ 0.1, and rises sooner for a larger β', () => {
  const c = claimById('ema-curriculum');
  assert.ok(c && c.kind === 'theory');
  const r = evaluateTheory(c);
  assert.ok(r.kind === 'theory');
  assert.equal(r.outcome.evidence.length, 4 + 3 + 3, 'τ(0) per β, τ(end) for β ≥ 0.1, three ratios of half-times');
  for (const e of r.outcome.evidence) assert.ok(e.holds, `${e.label} = ${e.value} (${e.condition})`);
  const ratios = r.outcome.evidence.filter((e) => e.label.startsWith('mean time'));
  for (const e of ratios) assert.ok(e.value > 0.2 && e.value < 0.7, `${e.label} = ${e.value}`);
  assert.equal(r.verdict, 'reproduced');
});

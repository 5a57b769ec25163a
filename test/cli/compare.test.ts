// Issue 13: every report of results says which evaluation protocol measured them and shows the
// random-init baseline beside the final value: `dplab runs show`, `dplab runs compare`, the runs CSV
// and the JSON bundle. Two real tiny runs (tfjs, wasm) and one older record without either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openArchive } from '../../src-main/archive/archive.ts';
import { exportRunBundle, runsTable } from '../../src-main/archive/export.ts';
import { train } from '../../src-main/engine/trainer.ts';
import { parseSetup, type SetupInput } from '../../src-main/common/setup.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import type { TrainerEvent } from '../../src-main/common/events.ts';
import { dplabInProcess } from './in-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'dplab-compare-'));
const file = join(dir, 'lab.sqlite');

/** `dplab …` through the CLI's main() in this process (test/cli/in-process.ts): these read the archive. */
const dplab = (...args: string[]) => dplabInProcess(args, { DPLAB_ARCHIVE: file });

const tiny: SetupInput = {
  seed: 2,
  data: { dataset: 'synthetic', synthetic: { size: 16, channels: 1, classes: 4, train: 256, test: 64 } },
  encoder: { kind: 'convnet', widths: [4, 8] },
  projector: { hidden: 16, out: 8 },
  optim: { batchSize: 32, epochs: 20, maxSteps: 6, lr: 0.05 },
  eval: { probeEpochs: 3, probeTrain: 128, probeTest: 64, spectraEvery: 3, statsImages: 128 },
};

test('runs show / compare / CSV / bundle name the protocol and show random init beside the final value', { timeout: 110_000 }, async () => {
  const a = openArchive(file);
  const uuids: string[] = [];
  for (const [name, ev] of [['honest', {}], ['official', { probeSelect: 'best-test', knnVote: 'majority' }]] as const) {
    const setup = parseSetup({ ...tiny, eval: { ...tiny.eval, ...ev } });
    const r = a.createRun({ name, setup: setup as unknown as Record<string, unknown>, setupHash: setupHash(setup), seed: setup.seed });
    const events: TrainerEvent[] = [];
    await train(setup, { backend: 'wasm', onEvent: (e) => events.push(e) });
    a.appendEvents(r.uuid, events);
    uuids.push(r.uuid);
  }
  // A run recorded before the baseline and the protocol were: an old setup, a summary without them.
  const old = a.createRun({ name: 'old', setup: { version: 1, eval: { knnK: 7 } }, setupHash: 'old', seed: 0 });
  a.appendEvents(old.uuid, [
    { type: 'finished', outcome: 'completed', summary: { outcome: 'completed', setupHash: 'old', backend: 'wasm', steps: 10, epochs: 1, finalLoss: 1, collapseStd: 0.5, effectiveRank: 3, probeAcc: 0.6, knnAcc: 0.5, imagesPerSec: 1, wallSec: 1 } },
  ]);
  const [honest, official] = uuids as [string, string];
  const runHonest = a.getRun(honest)!;
  const base = runHonest.summary!.baseline!;
  assert.ok(base && typeof base.probeAcc === 'number' && typeof base.effectiveRank === 'number', 'baseline stored with the summary');

  // CSV: baseline columns and the protocol in words.
  const t = runsTable(a.listRuns({ order: 'oldest' }));
  const col = (c: string) => t.columns.indexOf(c);
  assert.ok(col('baseline.probeAcc') > 0 && col('baseline.effectiveRank') > 0 && col('eval_protocol') > 0);
  const [rh, ro, rold] = t.rows;
  assert.equal(rh![col('baseline.probeAcc')], base.probeAcc);
  assert.equal(rh![col('baseline.collapseStd')], base.collapseStd);
  assert.equal(rh![col('eval_protocol')], 'probe epoch chosen on validation · kNN k=20 weighted exp(cos/0.07)');
  assert.equal(ro![col('eval_protocol')], 'probe at best test epoch (official code; optimistic) · kNN k=20 majority vote');
  assert.equal(rold![col('baseline.probeAcc')], null);
  assert.equal(rold![col('eval_protocol')], 'probe epoch chosen on validation · kNN k=7 weighted exp(cos/0.07)');
  // JSON bundle.
  const bundle = exportRunBundle(a, official);
  assert.equal(bundle.evalProtocol.probeSelect, 'best-test');
  assert.equal(bundle.evalProtocol.knnVote, 'majority');
  assert.ok((bundle.run.summary as { baseline?: unknown }).baseline);
  assert.deepEqual(bundle.evals.map((e) => e.step), [0, 6]);
  a.close();

  // runs show: final, random init and the change, then the protocol.
  const show = await dplab('runs', 'show', honest.slice(0, 8));
  assert.equal(show.code, 0, show.err);
  assert.match(show.out, new RegExp(`random init probe ${base.probeAcc!.toFixed(3)} · kNN ${base.knnAcc!.toFixed(3)} · collapse std ${base.collapseStd!.toFixed(3)} · eff\\. rank ${base.effectiveRank!.toFixed(2)}`));
  assert.match(show.out, /^final\s+probe \d\.\d{3} · kNN/m);
  assert.match(show.out, /^change\s+probe [+−]\d\.\d{3}/m);
  assert.match(show.out, /^protocol\s+probe epoch chosen on validation · kNN k=20 weighted exp\(cos\/0\.07\)$/m);
  const showOld = await dplab('runs', 'show', old.uuid);
  assert.match(showOld.out, /random init — \(not recorded/);

  // runs compare: init → final per metric; differing protocols are called out.
  const cmp = await dplab('runs', 'compare', honest, official, old.uuid);
  assert.equal(cmp.code, 0, cmp.err);
  const lines = cmp.out.split('\n');
  assert.match(lines[0]!, /probe \(init → final\)\s+kNN \(init → final\)\s+collapse std \(init → final\)\s+eff\. rank \(init → final\)/);
  assert.match(lines[1]!, new RegExp(`^${honest.slice(0, 8)}\\s+completed\\s+\\S+\\s+${base.probeAcc!.toFixed(3)} → \\d\\.\\d{3}`));
  assert.match(lines[3]!, /— → 0\.600/);
  assert.match(cmp.out, /protocols differ/);
  assert.match(cmp.out, new RegExp(`${official.slice(0, 8)}  probe at best test epoch`));
  const same = await dplab('runs', 'compare', honest, '--json');
  const rows = JSON.parse(same.out) as { baseline: { probeAcc: number }; evalProtocol: { knnTemperature: number }; protocol: string }[];
  assert.equal(rows[0]!.baseline.probeAcc, base.probeAcc);
  assert.equal(rows[0]!.evalProtocol.knnTemperature, 0.07);
  assert.match((await dplab('runs', 'compare', honest)).out, /^protocol: probe epoch chosen on validation/m);
});

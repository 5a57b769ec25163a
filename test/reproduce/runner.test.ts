/**
 * `dplab reproduce` end to end on a tiny base (real trainer processes, a real SQLite archive): the
 * runs a claim needs are trained once as a sweep, found again by setup hash on the next call
 * (resume), read back into verdicts, and written as a report. Bad input is refused before any run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openArchive } from '../../src-main/archive/archive.ts';
import { claimById } from '../../src-main/reproduce/claims.ts';
import { collectResults, planRuns, trainMissing, weightedAlignment } from '../../src-main/runs/reproduce.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TINY = { ...QUICK_SETUP, optim: { ...QUICK_SETUP.optim, maxSteps: 6 }, eval: { ...QUICK_SETUP.eval, probeEpochs: 2, spectraEvery: 2 } };

function dplab(args: string[], cwd: string) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'dplab.mjs'), ...args], { cwd, encoding: 'utf8', timeout: 300_000 });
}

test('weighted alignment: s_j-weighted mean of cos(W_p u_j, u_j); none without W_p', () => {
  assert.equal(weightedAlignment([3, 1, -1], [1, 0, 0.5]), 0.75);
  assert.equal(weightedAlignment([1], []), null);
  assert.equal(weightedAlignment([0, 0], [1, 1]), null);
});

test('reproduce: trains each (arm, seed) once, resumes from the archive, verdicts and report', { timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-repro-'));
  try {
    const file = join(dir, 'lab.sqlite');
    const claim = claimById('no-stop-gradient-collapses')!;
    const seeds = [0, 1];
    const plan = planRuns([claim], seeds, TINY);
    assert.equal(plan.length, 4, '2 arms × 2 seeds');
    assert.equal(new Set(plan.map((p) => p.hash)).size, 4);
    const archive = openArchive(file);
    try {
      const first = await trainMissing(archive, plan, { concurrency: 2, backend: 'wasm' });
      assert.equal(first.reused, 0);
      assert.ok(first.sweepUuid);
      assert.deepEqual(first.states.map((s) => s.status), ['completed', 'completed', 'completed', 'completed']);
      assert.equal(archive.listRuns({ tag: 'reproduce' }).length, 4);
      const again = await trainMissing(archive, plan, { backend: 'wasm' });
      assert.equal(again.reused, 4, 'a second call trains nothing');
      assert.equal(again.sweepUuid, null);
      const [r] = collectResults(archive, [claim], seeds, TINY);
      assert.equal(r!.kind, 'experiment');
      if (r!.kind !== 'experiment') return;
      assert.deepEqual(r.missing, []);
      assert.equal(r.arms.length, 2);
      for (const a of r.arms) {
        assert.equal(a.runs, 2);
        assert.ok(a.final.collapseStd && a.final.collapseStd.mean > 0 && a.final.collapseStd.mean < 2, `${a.arm}: collapseStd ${a.final.collapseStd?.mean}`);
      }
      const vsNone = r.tests.find((t) => 'arm' in t.test.reference)!;
      assert.deepEqual(vsNone.seeds, [0, 1], 'paired by seed');
      assert.ok(vsNone.difference && vsNone.difference.ci === null && vsNone.verdict === 'inconclusive', 'two pairs: below the first look (3 seeds), no interval yet');
      assert.ok(['reproduced', 'not reproduced', 'inconclusive'].includes(r.verdict));
    } finally {
      archive.close();
    }
    // The CLI on the same archive: nothing to train, the report written.
    const base = join(dir, 'tiny.json');
    writeFileSync(base, JSON.stringify(TINY));
    const run = dplab(['reproduce', 'run', 'no-stop-gradient-collapses', '--seeds', '2', '--base', base, '--archive', file, '--json'], dir);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /4 run\(s\) needed, 4 already in the archive, 0 to train/);
    const out = JSON.parse(run.stdout) as { id: string; verdict: string; tests: unknown[] }[];
    assert.equal(out[0]!.id, 'no-stop-gradient-collapses');
    assert.equal(out[0]!.tests.length, 2);
    const rep = dplab(['reproduce', 'report', 'no-stop-gradient-collapses', 'eq14-parabola', '--seeds', '2', '--base', base, '--archive', file, '--out', join(dir, 'rep')], dir);
    assert.equal(rep.status, 0, rep.stderr);
    const html = readFileSync(join(dir, 'rep', 'report.html'), 'utf8');
    assert.match(html, /Without stop-gradient, training collapses/);
    assert.match(html, /<svg /);
    assert.doesNotMatch(html, /<script|src="http|href="http/, 'self-contained: no scripts, no external resources');
    const md = readFileSync(join(dir, 'rep', 'report.md'), 'utf8');
    assert.match(md, /\| claim \| paper \| verdict \|/);
    assert.match(md, /training: 4 runs, [\d.]+ min from the first start to the last end \([\d.]+ min summed over runs\)/);
    assert.match(md, /eq14-parabola|Eq\. 14/);
    for (const f of readdirSync(join(dir, 'rep', 'figures'))) assert.ok(md.includes(`figures/${f}`), `${f} is referenced`);
    assert.ok(existsSync(join(dir, 'rep', 'figures', 'no-stop-gradient-collapses-1.svg')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reproduce: unknown claims, bad seeds and a bad base are refused before anything runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-repro-bad-'));
  try {
    const file = join(dir, 'lab.sqlite');
    const unknown = dplab(['reproduce', 'run', 'no-such-claim', '--archive', file], dir);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown claim\(s\) 'no-such-claim' \(known: .*no-predictor-collapses/);
    assert.equal(dplab(['reproduce', 'run', 'all', '--seeds', '0', '--archive', file], dir).status, 2);
    assert.equal(dplab(['reproduce', 'run', '--archive', file], dir).status, 2, 'no claim named');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ optim: { lr: -1 } }));
    const b = dplab(['reproduce', 'run', 'all', '--base', bad, '--archive', file], dir);
    assert.equal(b.status, 2);
    assert.match(b.stderr, /optim\.lr/);
    writeFileSync(bad, JSON.stringify({ __proto__: { x: 1 }, optim: {} }).replace('"optim"', '"__proto__":{"y":1},"optim"'));
    assert.equal(dplab(['reproduce', 'run', 'all', '--base', bad, '--archive', file], dir).status, 2, 'prototype keys refused');
    assert.equal(existsSync(file), false, 'no archive was created for refused commands');
    const list = dplab(['reproduce', 'list'], dir);
    assert.equal(list.status, 0);
    assert.match(list.stdout, /theorem3-alignment/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

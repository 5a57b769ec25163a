import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRESETS } from '../../src-main/theory/index.ts';
import { dplabInProcess } from '../cli/in-process.ts';

/** `dplab theory …` through the CLI's main() in this process (test/cli/in-process.ts); the first test also runs the real executable. */
async function dplab(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const r = await dplabInProcess(['theory', ...args]);
  return { status: r.code, stdout: r.out, stderr: r.err };
}
const dplabProcess = (...args: string[]) => spawnSync(process.execPath, ['bin/dplab.mjs', 'theory', ...args], { encoding: 'utf8', cwd: new URL('../..', import.meta.url).pathname });

test('dplab theory presets: one line per preset', async () => {
  const r = dplabProcess('presets'); // the real executable once
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, Object.keys(PRESETS).length);
  for (const name of ['fig3-eta0', 'fig3-eta0.01', 'fig3-eta1', 'fig4a', 'fig4b', 'fig4c', 'fig5-wd', 'fig5-ema', 'fig7', 'fig8', 'fig9', 'fig10-tied']) {
    assert.ok(lines.some((l) => l.startsWith(name + ' ')), `missing ${name}`);
  }
});

test('dplab theory fixed-points --json prints p*₋, p*₊ and the collapse flag', async () => {
  const r = await dplab('fixed-points', '--tau', '1', '--sigma2', '0.5', '--eta', '0.01', '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.ok(Math.abs(j.pMinus - 0.0102) < 5e-5 && Math.abs(j.pPlus - 0.657) < 5e-4);
  assert.equal(j.collapseCertain, false);
  const c = JSON.parse((await dplab('fixed-points', '--tau=1', '--sigma2=0.5', '--eta=0.2', '--alpha-p', '2', '--json')).stdout);
  assert.equal(c.pMinus, null);
  assert.equal(c.pPlus, null);
  assert.equal(c.collapseCertain, true);
});

test('dplab theory: bad usage and parameters exit 2 with one line on stderr', async () => {
  for (const args of [['fixed-points', '--tau', '1', '--sigma2', '-0.5', '--eta', '0.1'], ['fixed-points', '--tau', 'abc', '--sigma2', '0', '--eta', '0'], ['fixed-points', '--tau', '1'], ['no-such-preset'], ['fixed-points', '--tau', '1', '--sigma2', '0', '--eta', '0', '--bogus', '1']]) {
    const r = await dplab(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^dplab theory: /);
  }
});

test('dplab theory <params.json> runs a simulation; a preset runs and --json gives the series', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-theory-'));
  try {
    const good = join(dir, 'modes.json');
    writeFileSync(good, JSON.stringify({ kind: 'modes', params: { target: 'simsiam', eta: 0.04, modes: { p0: [0.01, 0.5], s0: [0.0001, 0.25] }, t1: 200, samples: 5 } }));
    const r = await dplab(good);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /mode 0: .*COLLAPSED/);
    assert.match(r.stdout, /mode 1: .*alive/);
    const j = JSON.parse((await dplab(good, '--json')).stdout);
    assert.equal(j.runs[0].output.kind, 'modes');
    assert.equal(j.runs[0].output.result.timeline.t.length, 5);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ kind: 'full-matrix', params: { n1: 4, n2: 2, data: { kind: 'spectra', x: [1, 1], xPrime: [0, 0, 0, 0] } } }));
    const b = await dplab(bad);
    assert.equal(b.status, 2);
    assert.match(b.stderr, /bad\.json: full-matrix: data\.x: must have n1 = 4 entries/);
    const p = await dplab('fig4c');
    assert.equal(p.status, 0, p.stderr);
    assert.match(p.stdout, /collapse certain/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

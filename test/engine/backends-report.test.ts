/**
 * `dplab backends`' figures (issue 11): the reference B = 64 where a step takes milliseconds, and
 * B = 2 for one step on the pure-JS cpu backend and on a software GPU adapter (SwiftShader), each
 * labelled a correctness path, not a speed claim; and the text report prints both the figure and
 * that label.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cudaDiagnosis, figurePlan } from '../../src-main/engine/backends-report.ts';
import { initBackend, nativeInstallAdvice, type BackendInfo } from '../../src-main/engine/backend.ts';
import { formatReport } from '../../src-main/cli/backends.ts';

const info = (kind: BackendInfo['kind'], fallback?: boolean): BackendInfo => ({
  kind,
  tfBackend: kind === 'webgpu' ? 'webgpu' : kind === 'cpu' ? 'cpu' : 'wasm',
  versions: {},
  threads: 1,
  ...(fallback !== undefined ? { adapter: { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader', fallback } } : {}),
});

test('cpu and a software adapter are timed at B = 2 for one step, labelled; hardware and wasm at the reference B = 64', () => {
  for (const [kind, fallback] of [['cpu', undefined], ['webgpu', true]] as const) {
    const p = figurePlan(kind, info(kind, fallback));
    assert.equal(p.batch, 2, kind);
    assert.equal(p.maxSteps, 1, kind);
    assert.match(p.note ?? '', /a correctness path, not a speed claim/, kind);
  }
  assert.equal(figurePlan('cpu', info('cpu')).warmup, false, 'pure JS compiles nothing: no warm-up step');
  assert.equal(figurePlan('webgpu', info('webgpu', true)).warmup, true, 'shaders compile in the first step');
  for (const [kind, fallback] of [['webgpu', false], ['wasm', undefined]] as const) {
    const p = figurePlan(kind, info(kind, fallback));
    assert.deepEqual([p.batch, p.note, p.warmup], [64, undefined, true], kind);
  }
});

test('the text report gives a labelled figure its label on the next line', () => {
  const text = formatReport({
    platform: 'linux-x64',
    auto: 'wasm',
    backends: [
      { kind: 'webgpu', loads: true, adapter: { vendor: 'google', architecture: 'swiftshader', device: 'd', description: 'SwiftShader driver 5.0.0', fallback: true }, reason: 'loads on a software adapter', rate: { batch: 2, steps: 1, msPerStep: 5000, imagesPerSec: 0.4, loss: 3.1 }, rateNote: 'software adapter: a correctness path, not a speed claim' },
      { kind: 'wasm', loads: true, rate: { batch: 64, steps: 9, msPerStep: 1000, imagesPerSec: 64, loss: 3 } },
    ],
  });
  assert.match(text, /0\.40 images\/s \(reference step, B = 2, one step\)\n\s+software adapter: a correctness path, not a speed claim/);
  assert.match(text, /64\.0 images\/s \(reference step, B = 64, median of 9 steps\)/);
});

test('install advice for tfjs-node and tfjs-node-gpu works under npm 11\'s install-script policy: it names the allowScripts entry, the approve command and the command that runs the script', async () => {
  for (const kind of ['tfjs-node', 'tfjs-node-gpu'] as const) {
    const pkg = `@tensorflow/${kind}`;
    const advice = nativeInstallAdvice(kind);
    assert.ok(advice.includes(`add "${pkg}": true to allowScripts in package.json`), advice);
    assert.ok(advice.includes(`\`npm install-scripts approve ${pkg}\``), advice);
    assert.ok(advice.includes(`\`npm install ${pkg}@4.22.0\``) && advice.includes(`\`npm rebuild ${pkg}\``), advice);
    // npm's approve never overrides a recorded denial, so package.json must not deny them.
    const allow = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { allowScripts?: Record<string, boolean> }).allowScripts ?? {};
    assert.notEqual(allow[pkg], false, `package.json denies ${pkg}'s install script`);
  }
  assert.ok(cudaDiagnosis().needs.includes(nativeInstallAdvice('tfjs-node-gpu')));
  // What `dplab backends` prints for a native backend that does not load here is that advice.
  const failed = await initBackend('tfjs-node').then(() => null, (e: Error) => e.message);
  if (failed !== null) assert.ok(failed.includes(nativeInstallAdvice('tfjs-node')), failed);
});

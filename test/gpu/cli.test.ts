// The command line on webgpu (SwiftShader): `dplab backends` explains every backend, and
// `dplab run --backend webgpu` of a tiny setup completes, records its adapter in the archive, and
// its loss curve matches the same run on wasm.
import { before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { swiftShaderTest as test, SWIFTSHADER, useSwiftShader } from './swiftshader.ts';
import { openArchive } from '../../src-main/archive/archive.ts';
import type { BackendsReport } from '../../src-main/engine/backends-report.ts';

const dir = mkdtempSync(join(tmpdir(), 'dplab-gpu-cli-'));
const archive = join(dir, 'archive.sqlite');

before(() => {
  if (SWIFTSHADER.skip) return;
  useSwiftShader();
});

function dplab(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['bin/dplab.mjs', ...args], { env: { ...process.env, DPLAB_ARCHIVE: archive, DPLAB_DATA_DIR: join(dir, 'data') } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

test('dplab backends --json --quick: every backend, why the missing ones do not load, the adapter, auto skips SwiftShader', async () => {
  const r = await dplab(['backends', '--json', '--quick']);
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out) as BackendsReport;
  assert.deepEqual(report.backends.map((b) => b.kind), ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu']);
  const by = Object.fromEntries(report.backends.map((b) => [b.kind, b]));
  assert.equal(by.webgpu!.loads, true);
  assert.equal(by.webgpu!.adapter?.architecture, 'swiftshader');
  assert.match(by.webgpu!.reason ?? '', /software adapter/);
  assert.equal(by.wasm!.loads, true);
  assert.equal(report.auto, by['tfjs-node-gpu']!.loads ? 'tfjs-node-gpu' : by['tfjs-node']!.loads ? 'tfjs-node' : 'wasm');
  if (!by['tfjs-node-gpu']!.loads) {
    assert.match(by['tfjs-node-gpu']!.reason ?? '', /tfjs-node-gpu/);
    assert.match(by['tfjs-node-gpu']!.needs ?? '', /CUDA 11\.2.*cuDNN 8\.1/);
    assert.ok((by['tfjs-node-gpu']!.found ?? '').length > 0);
  }
  for (const b of report.backends) assert.equal(b.rate, undefined, '--quick measures nothing');
});

test('dplab run --backend webgpu completes, records the adapter, and its loss curve matches wasm', async () => {
  const setup = join(dir, 'tiny.json');
  writeFileSync(setup, JSON.stringify({
    seed: 3,
    data: { dataset: 'synthetic', synthetic: { size: 8, channels: 1, classes: 2, train: 64, test: 16 } },
    encoder: { kind: 'convnet', widths: [4, 8] },
    projector: { hidden: 16, out: 8 },
    predictor: { kind: 'directpred', freq: 1 },
    optim: { batchSize: 8, epochs: 1, maxSteps: 3 },
    eval: { probeEpochs: 1, probeTrain: 16, probeTest: 8, spectraEvery: 1 },
  }));
  const gpu = await dplab(['run', setup, '--backend', 'webgpu', '--quiet', '--set', 'name=gpu']);
  assert.equal(gpu.code, 0, gpu.err);
  const cpu = await dplab(['run', setup, '--backend', 'wasm', '--quiet', '--set', 'name=wasm']);
  assert.equal(cpu.code, 0, cpu.err);
  const a = openArchive(archive);
  try {
    const runs = a.listRuns();
    const g = runs.find((r) => r.name === 'gpu')!;
    const w = runs.find((r) => r.name === 'wasm')!;
    assert.equal(g.backend, 'webgpu');
    assert.equal(g.status, 'completed');
    const gpuInfo = g.host?.gpu as { vendor: string; architecture: string; description: string } | undefined;
    assert.equal(gpuInfo?.vendor, 'google');
    assert.equal(gpuInfo?.architecture, 'swiftshader');
    assert.match(gpuInfo?.description ?? '', /SwiftShader/);
    assert.equal(w.host?.gpu, undefined);
    const loss = (uuid: string) => a.getMetrics(uuid, ['loss'])[0]!.values as number[];
    const lg = loss(g.uuid);
    const lw = loss(w.uuid);
    assert.equal(lg.length, 3);
    // Same seeds, same data, float32 on both: the curves agree to ~1e-6; 1e-4 relative is the bound.
    lg.forEach((l, i) => assert.ok(Math.abs(l - lw[i]!) <= 1e-4 * Math.abs(lw[i]!), `step ${i + 1}: ${l} vs ${lw[i]}`));
  } finally {
    a.close();
  }
});

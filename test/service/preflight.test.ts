/**
 * The memory preflight of runs started through the service (runs.start, sweeps.start): the same
 * check `dplab run` makes, so a request for a setup whose training step or dataset cannot fit is
 * refused at once with the estimate and the limit, and leaves no run or sweep behind (runs.resume of
 * an archived run made elsewhere is checked the same way); a tiny setup
 * still starts. Real LabService, real archive, real trainer process (cancelled at once).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openArchive } from '../../src-main/archive/archive.ts';
import { LabService, type ServiceReply } from '../../src-main/service/service.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import { parseSetup } from '../../src-main/common/setup.ts';
import { TINY_SETUP } from '../server/helpers.ts';

let dir: string;
let service: LabService;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dplab-preflight-'));
  // wasm: its 4 GiB heap is the limit whatever this machine's memory is.
  service = new LabService({ archivePath: join(dir, 'a.sqlite'), transport: 'http', backend: 'wasm', concurrency: 1, dataDir: join(dir, 'data') });
});

after(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A training step of ~10 GiB: 4096 images of 32×32×3 through widths up to 256. */
const HUGE = {
  ...TINY_SETUP,
  data: { dataset: 'synthetic', synthetic: { size: 32, channels: 3, classes: 4, train: 4200, test: 64 } },
  encoder: { kind: 'convnet', widths: [32, 64, 128, 256], residual: false },
  optim: { ...TINY_SETUP.optim, batchSize: 4096 },
};

function errorOf(r: ServiceReply): { code: string; message: string } {
  assert.equal(r.ok, false, `expected an error, got ${JSON.stringify(r).slice(0, 300)}`);
  return (r as { error: { code: string; message: string } }).error;
}

async function runs(): Promise<{ id: string; status: string }[]> {
  const r = await service.handle('runs.list', {});
  assert.equal(r.ok, true);
  return (r as { result: { id: string; status: string }[] }).result;
}

test('runs.start refuses a training step beyond the backend memory, naming estimate and limit; no run row', async () => {
  const e = errorOf(await service.handle('runs.start', { setup: HUGE }));
  assert.equal(e.code, 'invalid-args');
  assert.match(e.message, /nothing was started: optim\.batchSize: a training step needs about \d+(\.\d)? GiB, more than the wasm backend's heap \(at most 4\.0 GiB\)/);
  assert.deepEqual(await runs(), []);
});

test('runs.start refuses an imported dataset too large to hold, read from its meta.json alone', async () => {
  // A cached dataset whose meta.json announces 100,000 images of 2048×2048×3 (~1.1 TiB): its
  // shape is known without reading a pixel, so no trainer is started to find out.
  const folder = join(dir, 'data', 'vast');
  mkdirSync(folder, { recursive: true });
  const meta = {
    kind: 'dplab-dataset',
    version: 1,
    name: 'vast',
    height: 2048,
    width: 2048,
    channels: 3,
    classNames: ['a', 'b'],
    counts: { train: 100_000, test: 10 },
    files: { train: { images: 'train.images.u8', labels: 'train.labels.i32' }, test: { images: 'test.images.u8', labels: 'test.labels.i32' } },
    hash: 'x',
    source: 'planted by the test',
    format: 'idx',
    importedAt: new Date(0).toISOString(),
  };
  writeFileSync(join(folder, 'meta.json'), JSON.stringify(meta));
  const e = errorOf(await service.handle('runs.start', { setup: { ...TINY_SETUP, data: { dataset: 'vast' } } }));
  assert.equal(e.code, 'invalid-args');
  assert.match(e.message, /data\.trainSize: the dataset needs about \d+(\.\d)? GiB \(100010 images of 2048×2048×3 in memory\), more than half of the [\d.]+ GiB this process may use/);
  assert.deepEqual(await runs(), []);
});

test('sweeps.start checks each member: one member too big refuses the sweep, naming it; nothing is created', async () => {
  const def = { name: 'too big', base: HUGE, axes: { 'optim.batchSize': [32, 4096] } };
  const e = errorOf(await service.handle('sweeps.start', { definition: def }));
  assert.equal(e.code, 'invalid-args');
  assert.match(e.message, /sweep member \{"optim\.batchSize":4096,"seed":\d+\}: optim\.batchSize: a training step needs about/);
  assert.doesNotMatch(e.message, /"optim\.batchSize":32,/);
  assert.deepEqual(await runs(), []);
  const sweeps = await service.handle('sweeps.list', {});
  assert.deepEqual(sweeps, { ok: true, result: [] });
});

test('runs.resume refuses an archived run too big for this machine (made elsewhere); the run is left as it was', async () => {
  const a = openArchive(join(dir, 'a.sqlite'));
  let runId: string;
  try {
    const setup = parseSetup(HUGE);
    runId = a.createRun({ setup: setup as unknown as Record<string, unknown>, setupHash: setupHash(setup), seed: setup.seed, status: 'interrupted', name: 'from a bigger machine' }).uuid;
  } finally {
    a.close();
  }
  const e = errorOf(await service.handle('runs.resume', { runId }));
  assert.equal(e.code, 'invalid-args');
  assert.match(e.message, /nothing was started: optim\.batchSize: a training step needs about/);
  assert.deepEqual((await runs()).map((r) => [r.id, r.status]), [[runId, 'interrupted']]);
  assert.equal((await service.handle('runs.delete', { runId })).ok, true);
});

test('a dataset split beyond the typed-array length is refused whatever the memory, naming its field; no run or sweep row', async () => {
  // 200,000 + 100,000 synthetic images of 96×96×3: the train split alone is 5.5 GB, one typed
  // array longer than Node allows. With memory to spare (1 TiB declared) only that limit refuses it.
  const saved = process.env.DPLAB_MEMORY_BYTES;
  process.env.DPLAB_MEMORY_BYTES = String(2 ** 40);
  try {
    const big = { ...TINY_SETUP, data: { dataset: 'synthetic', synthetic: { size: 96, channels: 3, classes: 10, train: 200_000, test: 100_000 } } };
    const e = errorOf(await service.handle('runs.start', { setup: big }));
    assert.equal(e.code, 'invalid-args');
    assert.match(
      e.message,
      /nothing was started: data\.synthetic\.train: the dataset's train images would be one array of 5529600000 bytes \(200000 images of 96×96×3\), more than the 4294967296 elements a typed array may hold in Node [\d.]+; use at most 155344 images of this size \(data\.synthetic\.train\)/,
    );
    // The test split (2.8 GB) fits, so it is not named.
    assert.doesNotMatch(e.message, /data\.synthetic\.test/);
    const sweep = { name: 'split too long', base: big, axes: { 'data.synthetic.train': [150_000, 200_000] } };
    const s = errorOf(await service.handle('sweeps.start', { definition: sweep }));
    assert.match(s.message, /sweep member \{"data\.synthetic\.train":200000,"seed":\d+\}: data\.synthetic\.train: the dataset's train images would be one array/);
    assert.doesNotMatch(s.message, /"data\.synthetic\.train":150000/);
    assert.deepEqual(await runs(), []);
    assert.deepEqual(await service.handle('sweeps.list', {}), { ok: true, result: [] });
  } finally {
    if (saved === undefined) delete process.env.DPLAB_MEMORY_BYTES;
    else process.env.DPLAB_MEMORY_BYTES = saved;
  }
});

test('a cached dataset whose train and unlabelled pool together pass the typed-array length is refused from meta.json', async () => {
  const saved = process.env.DPLAB_MEMORY_BYTES;
  process.env.DPLAB_MEMORY_BYTES = String(2 ** 40);
  try {
    // STL-10-like at 96×96×3: 100,000 train + 60,000 unlabelled share one 4.4 GB array on load; 8,000 test alone fit.
    const folder = join(dir, 'data', 'pooled');
    mkdirSync(folder, { recursive: true });
    const meta = {
      kind: 'dplab-dataset', version: 1, name: 'pooled', height: 96, width: 96, channels: 3, classNames: ['a', 'b'],
      counts: { train: 100_000, test: 8_000, unlabeled: 60_000 },
      files: { train: { images: 'train.images.u8', labels: 'train.labels.i32' }, test: { images: 'test.images.u8', labels: 'test.labels.i32' }, unlabeled: { images: 'unlabeled.images.u8', labels: 'unlabeled.labels.i32' } },
      hash: 'x', source: 'planted by the test', format: 'stl10', importedAt: new Date(0).toISOString(),
    };
    writeFileSync(join(folder, 'meta.json'), JSON.stringify(meta));
    const e = errorOf(await service.handle('runs.start', { setup: { ...TINY_SETUP, data: { dataset: 'pooled' } } }));
    assert.equal(e.code, 'invalid-args');
    assert.match(e.message, /data\.dataset: the dataset's train and unlabeled images would be one array of 4423680000 bytes \(160000 images of 96×96×3\), more than the 4294967296 elements .*; re-import the dataset with fewer or smaller images \(--size\)/);
    assert.deepEqual(await runs(), []);
  } finally {
    if (saved === undefined) delete process.env.DPLAB_MEMORY_BYTES;
    else process.env.DPLAB_MEMORY_BYTES = saved;
  }
});

test('a tiny setup still starts (then is cancelled)', async () => {
  const r = await service.handle('runs.start', { setup: TINY_SETUP });
  assert.equal(r.ok, true, JSON.stringify(r));
  const { runId } = (r as { result: { runId: string } }).result;
  const listed = await runs();
  assert.equal(listed.length, 1);
  assert.equal(listed[0]!.id, runId);
  assert.ok(['queued', 'running'].includes(listed[0]!.status), listed[0]!.status);
  assert.deepEqual(await service.handle('runs.cancel', { runId }), { ok: true, result: { ok: true } });
});

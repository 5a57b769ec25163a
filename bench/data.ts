/**
 * Dataset benchmark: synthetic generation speed, import time per 10k images for each format
 * (files generated in a temp folder), and load-from-cache throughput.
 * Run: `npm run bench -- data` or `node --import tsx bench/data.ts` (add --quick for smaller sizes).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { importDataset } from '../src-main/data/cache.ts';
import { loadDataset } from '../src-main/data/index.ts';
import type { Setup } from '../src-main/common/setup.ts';
import { jpegBytes, writeCifar10, writeCifar100, writeClassFolder, writeIdx, writeStl10 } from '../test/data/fixtures.ts';

const quick = process.argv.includes('--quick');
const root = mkdtempSync(join(tmpdir(), 'dplab-bench-data-'));
const cacheDir = join(root, 'cache');
const spec = (dataset: string, over: Partial<Setup['data']> = {}): Setup['data'] => ({
  dataset,
  synthetic: { size: 28, channels: 1, classes: 10, train: 2000, test: 500 },
  ...over,
});

/** Median wall time (ms) of `reps` runs of fn after one warm-up. */
async function time(fn: () => Promise<unknown> | unknown, reps = 3): Promise<number> {
  await fn();
  const t: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[Math.floor(reps / 2)]!;
}

const rows: string[][] = [];
try {
  console.log(`machine: ${cpus()[0]?.model ?? '?'} ×${cpus().length}, node ${process.version}`);

  for (const [size, channels] of [[28, 1], [32, 3]] as const) {
    const n = 2000;
    const ms = await time(() => loadDataset(spec('synthetic', { synthetic: { size, channels, classes: 10, train: n, test: 500 } }), { seed: 1 }));
    rows.push([`synthetic generate ${size}×${size}×${channels}`, `${n} + 500`, `${ms.toFixed(0)} ms`, `${((n + 500) / (ms / 1000)).toFixed(0)} img/s`]);
  }

  const f = quick ? 0.2 : 1;
  const cases: Array<[string, string, number, (dir: string) => void, Record<string, unknown>]> = [
    ['idx (gz) 28×28×1', 'idx', Math.round(10000 * f), (d) => writeIdx(d, { n: Math.round(9000 * f), m: Math.round(1000 * f), h: 28, w: 28, gz: true }), {}],
    ['cifar10 32×32×3', 'cifar10', Math.round(10000 * f), (d) => writeCifar10(d, Math.round(1800 * f), 5, Math.round(1000 * f)), {}],
    ['cifar100 32×32×3', 'cifar100', Math.round(10000 * f), (d) => writeCifar100(d, Math.round(9000 * f), Math.round(1000 * f)), {}],
    ['stl10 96×96×3', 'stl10', Math.round(2000 * f), (d) => writeStl10(d, Math.round(500 * f), Math.round(500 * f), Math.round(1000 * f)), {}],
    ['stl10 96→32 (--size 32)', 'stl10', Math.round(2000 * f), (d) => writeStl10(d, Math.round(500 * f), Math.round(500 * f), Math.round(1000 * f)), { size: 32 }],
    ['folder PNG 32×32 gray', 'folder', Math.round(2000 * f), (d) => writeClassFolder(d, ['a', 'b', 'c', 'd'], Math.round(500 * f), 32, 32), {}],
    [
      'folder JPEG 64×64 colour →32',
      'folder',
      Math.round(2000 * f),
      (d) => {
        for (const c of ['a', 'b', 'c', 'd']) {
          mkdirSync(join(d, c), { recursive: true });
          for (let i = 0; i < Math.round(500 * f); i++) writeFileSync(join(d, c, `${i}.jpg`), jpegBytes(i, 64, 64));
        }
      },
      { size: 32 },
    ],
  ];
  let k = 0;
  for (const [label, format, n, write, extra] of cases) {
    const src = join(root, `src-${k}`);
    write(src);
    const name = `b${k++}`;
    const t0 = performance.now();
    await importDataset(src, { name, format, cacheDir, ...extra });
    const ms = performance.now() - t0;
    rmSync(src, { recursive: true, force: true });
    const loadMs = await time(() => loadDataset(spec(name), { cacheDir }));
    rows.push([`import ${label}`, String(n), `${((ms * 10000) / n / 1000).toFixed(2)} s / 10k`, `load ${(n / (loadMs / 1000)).toFixed(0)} img/s`]);
  }

  const sampleMs = await time(() => loadDataset(spec('fashion-mnist-sample')));
  rows.push(['load bundled fashion-mnist-sample (gzip)', '12000', `${sampleMs.toFixed(0)} ms`, `${(12000 / (sampleMs / 1000)).toFixed(0)} img/s`]);
  try {
    const fmMs = await time(() => loadDataset(spec('fashion-mnist')), 1);
    rows.push(['load fashion-mnist from Debian IDX .gz', '70000', `${fmMs.toFixed(0)} ms`, `${(70000 / (fmMs / 1000)).toFixed(0)} img/s`]);
  } catch (e) {
    rows.push(['load fashion-mnist from Debian IDX .gz', '-', 'not installed', (e as Error).message.slice(0, 40)]);
  }

  console.log('\n| what | images | time | throughput |\n| --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);

  // Data feed (gather a batch + two augmented views) beside the training step it feeds, in one run:
  // the ratio says whether the step could ever wait for its data.
  const tf = await import('@tensorflow/tfjs');
  const { initBackend } = await import('../src-main/engine/backend.ts');
  const { augmentView, gatherBatch, planAugment } = await import('../src-main/engine/augment.ts');
  const { parseSetup } = await import('../src-main/common/setup.ts');
  const { Rng, permutation } = await import('../src-main/math/seeds.ts');
  const { train } = await import('../src-main/engine/trainer.ts');
  await initBackend('wasm');
  const B = 128;
  const feedRows: string[][] = [];
  for (const data of [
    { dataset: 'fashion-mnist-sample' },
    { dataset: 'synthetic', synthetic: { size: 32, channels: 3 as const, classes: 10, train: 2000, test: 500 } },
  ]) {
    const setup = parseSetup({ data, optim: { batchSize: B, maxSteps: quick ? 3 : 6 }, eval: { probeEpochs: 1, probeTrain: 256, probeTest: 256, spectraEvery: 1000 } });
    const ds = await loadDataset(setup.data, { seed: 0 });
    const shape: [number, number, number] = [ds.height, ds.width, ds.channels];
    const ppi = ds.height * ds.width * ds.channels;
    const perm = permutation(ds.pretrain.count, 1);
    let k = 0;
    const feedMs = await time(() => {
      const idx = perm.subarray((k * B) % (ds.pretrain.count - B), ((k * B) % (ds.pretrain.count - B)) + B);
      const rng = new Rng(k++);
      const views = tf.tidy(() => {
        const x = gatherBatch(ds.pretrain.images, ppi, idx, shape);
        return [augmentView(x, planAugment(B, setup.augment, rng), setup.augment), augmentView(x, planAugment(B, setup.augment, rng), setup.augment)];
      });
      for (const v of views) v.dataSync();
      tf.dispose(views);
    }, 7);
    const summary = await train(setup, { backend: 'wasm', dataset: ds });
    const feed = B / (feedMs / 1000);
    const step = summary.imagesPerSec ?? NaN;
    feedRows.push([`${ds.name} ${shape.join('×')}`, `${feed.toFixed(0)} img/s`, `${step.toFixed(1)} img/s`, `${(feed / step).toFixed(0)}×`]);
  }
  console.log('\n| data (B = 128, default model, DirectPred) | feed: gather + 2 augmented views | training step | feed / step |\n| --- | --- | --- | --- |');
  for (const r of feedRows) console.log(`| ${r.join(' | ')} |`);
} finally {
  rmSync(root, { recursive: true, force: true });
}

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { importDataset, listDatasets, readCacheFolder, removeDataset } from '../../src-main/data/cache.ts';
import { getFormat } from '../../src-main/data/formats/registry.ts';
import { loadDataset } from '../../src-main/data/index.ts';
import { hashStored } from '../../src-main/data/stored.ts';
import type { Setup } from '../../src-main/common/setup.ts';
import { writeCifar10, writeCifar100, writeClassFolder, writeIdx, writeStl10 } from './fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'dplab-import-'));
after(() => rmSync(root, { recursive: true, force: true }));
const spec = (dataset: string, over: Partial<Setup['data']> = {}): Setup['data'] => ({
  dataset,
  synthetic: { size: 28, channels: 1, classes: 10, train: 2000, test: 500 },
  ...over,
});
let k = 0;
const fresh = (name: string) => join(root, `src-${k++}-${name}`);
/** A new empty cache folder per test, as DPLAB_DATA_DIR would be. */
const cache = () => mkdtempSync(join(root, 'cache-'));

const SOURCES: Array<[string, (dir: string) => void]> = [
  ['idx', (d) => writeIdx(d, { n: 40, m: 10, h: 28, w: 28, gz: true })],
  ['cifar10', (d) => writeCifar10(d, 10, 2, 6)],
  ['cifar100', (d) => writeCifar100(d, 20, 5)],
  ['stl10', (d) => writeStl10(d, 4, 3, 6)],
  ['folder', (d) => writeClassFolder(d, ['a', 'b'], 6, 16, 16)],
];

describe('import and reload', () => {
  for (const [format, write] of SOURCES) {
    test(`${format}: imported content and hash equal a direct read; loadDataset finds it by name; the hash is stable`, async () => {
      const src = fresh(format);
      write(src);
      const c = cache();
      const meta = await importDataset(src, { name: `my-${format}`, cacheDir: c });
      assert.equal(meta.format, format, 'the format was detected');
      const direct = await getFormat(format).read(src, { name: `my-${format}` });
      assert.equal(meta.hash, hashStored(direct));
      const ds = await loadDataset(spec(`my-${format}`), { cacheDir: c, verify: true });
      assert.equal(ds.hash, meta.hash);
      assert.deepEqual(ds.train.images, direct.train.images);
      assert.deepEqual(ds.train.labels, direct.train.labels);
      assert.deepEqual(ds.test.images, direct.test.images);
      const unl = direct.unlabeled?.count ?? 0;
      assert.equal(ds.pretrain.count, direct.train.count + unl, 'pretrain = train ∪ unlabeled');
      if (unl > 0) {
        assert.ok(ds.pretrain.labels.subarray(direct.train.count).every((l) => l === -1));
        assert.deepEqual(ds.pretrain.images.subarray(ds.train.images.length), direct.unlabeled!.images);
        assert.equal(ds.pretrain.images.buffer, ds.train.images.buffer, 'pretrain is a view over train ∪ unlabeled, not a copy');
      }
      const again = await loadDataset(spec(`my-${format}`), { cacheDir: c });
      assert.equal(again.hash, ds.hash);
      assert.equal(ds.family?.kind, ds.channels === 1 ? 'gray' : 'color');
      assert.deepEqual(readdirSync(c), [`my-${format}`], 'no temporary folders are left');
    });
  }

  test('trainSize on an imported dataset with an unlabelled pool draws from train ∪ unlabeled', async () => {
    const src = fresh('stl-subset');
    writeStl10(src, 4, 2, 20);
    const c = cache();
    await importDataset(src, { name: 'stl', cacheDir: c, size: 32 });
    const d = await loadDataset(spec('stl', { trainSize: 10 }), { cacheDir: c, seed: 9 });
    assert.equal(d.pretrain.count, 10);
    assert.equal(d.train.count, 4);
    assert.equal(d.height, 32);
  });

  test('the name defaults to the folder name; list shows it; rm removes it', async () => {
    const src = join(root, 'cifar-10-batches-bin');
    writeCifar10(src, 5, 1, 3);
    const c = cache();
    const meta = await importDataset(src, { cacheDir: c });
    assert.equal(meta.name, 'cifar-10-batches-bin');
    const l = listDatasets(c);
    assert.deepEqual(l.map((e) => [e.name, e.meta?.counts.train]), [['cifar-10-batches-bin', 5]]);
    assert.ok(l[0]!.bytes > 5 * 3072);
    removeDataset('cifar-10-batches-bin', c);
    assert.deepEqual(listDatasets(c), []);
    assert.throws(() => removeDataset('cifar-10-batches-bin', c), /no dataset called 'cifar-10-batches-bin'/);
  });
});

describe('all or nothing', () => {
  test('a corrupt image mid-folder leaves nothing in the cache', async () => {
    const src = fresh('folder-bad');
    writeClassFolder(src, ['a', 'b'], 5, 8, 8);
    writeFileSync(join(src, 'b', 'img002.png'), Buffer.from('\x89PNG\r\n\x1a\nbroken'));
    const c = cache();
    await assert.rejects(importDataset(src, { name: 'bad', cacheDir: c }), (e: Error) => e.message.includes(join(src, 'b', 'img002.png')));
    assert.deepEqual(readdirSync(c), []);
    await assert.rejects(loadDataset(spec('bad'), { cacheDir: c }), /'bad' is unknown/);
  });

  test('a failed write (disk-full stand-in) removes the temporary folder', async () => {
    const src = fresh('cifar-ok');
    writeCifar10(src, 5, 1, 3);
    const c = cache();
    // A split whose byte count disagrees with its image count makes writeCacheFolder throw after files were written.
    const fmt = getFormat('cifar10');
    const orig = fmt.read;
    fmt.read = async (p, o) => {
      const d = await orig(p, o);
      return { ...d, test: { ...d.test, count: d.test.count + 1 } };
    };
    try {
      await assert.rejects(importDataset(src, { name: 'half', cacheDir: c, format: 'cifar10' }), /split 'test' has/);
    } finally {
      fmt.read = orig;
    }
    assert.deepEqual(readdirSync(c), []);
  });

  test('a failed re-import with --force keeps the previous version intact', async () => {
    const src = fresh('idx-force');
    writeIdx(src, { n: 20, m: 5, h: 8, w: 8 });
    const c = cache();
    const first = await importDataset(src, { name: 'keep', cacheDir: c });
    await assert.rejects(importDataset(src, { name: 'keep', cacheDir: c }), /already exists.*--force/);
    truncateSync(join(src, 'train-images-idx3-ubyte'), 100);
    await assert.rejects(importDataset(src, { name: 'keep', cacheDir: c, force: true }), /truncated/);
    const d = await loadDataset(spec('keep'), { cacheDir: c, verify: true });
    assert.equal(d.hash, first.hash);
    assert.deepEqual(readdirSync(c), ['keep']);
  });

  test('a successful --force replaces the dataset', async () => {
    const src = fresh('idx-replace');
    writeIdx(src, { n: 20, m: 5, h: 8, w: 8 });
    const c = cache();
    const first = await importDataset(src, { name: 'rep', cacheDir: c });
    writeIdx(src, { n: 30, m: 5, h: 8, w: 8 });
    const second = await importDataset(src, { name: 'rep', cacheDir: c, force: true });
    assert.notEqual(second.hash, first.hash);
    assert.equal((await loadDataset(spec('rep'), { cacheDir: c })).train.count, 30);
    assert.deepEqual(readdirSync(c), ['rep']);
  });

  test('reserved and malformed names are refused before any work', async () => {
    const src = fresh('idx-names');
    writeIdx(src, { n: 4, m: 2, h: 8, w: 8 });
    const c = cache();
    await assert.rejects(importDataset(src, { name: 'synthetic', cacheDir: c }), /reserved/);
    await assert.rejects(importDataset(src, { name: '../evil', cacheDir: c }), /name '\.\.\/evil' is invalid/);
    await assert.rejects(importDataset(join(root, 'does-not-exist'), { cacheDir: c }), /no such file or folder/);
    const tgz = join(root, 'cifar-10-binary.tar.gz');
    writeFileSync(tgz, 'x');
    await assert.rejects(importDataset(tgz, { cacheDir: c }), /is an archive: extract it first/);
    await assert.rejects(importDataset(src, { format: 'tiff', cacheDir: c }), /unknown dataset format 'tiff'; known formats: idx, cifar10/);
  });
});

describe('cache damage', () => {
  test('a truncated cache file is named on load; a changed byte is caught by verify', async () => {
    const src = fresh('idx-damage');
    writeIdx(src, { n: 20, m: 5, h: 8, w: 8 });
    const c = cache();
    await importDataset(src, { name: 'dmg', cacheDir: c });
    const p = join(c, 'dmg', 'train.images.u8');
    const bytes = readFileSync(p);
    bytes[17] = bytes[17]! ^ 0xff;
    writeFileSync(p, bytes);
    assert.throws(() => readCacheFolder(join(c, 'dmg'), { verify: true }), /content hash .* differs/);
    truncateSync(p, 100);
    await assert.rejects(loadDataset(spec('dmg'), { cacheDir: c }), (e: Error) => e.message.includes(p) && /expected 1280 bytes/.test(e.message));
    assert.ok(existsSync(join(c, 'dmg', 'meta.json')));
  });
});

describe('formats read directly from data.path', () => {
  test('dataset = a format name with a path reads without importing', async () => {
    const src = fresh('direct-cifar');
    writeCifar10(src, 4, 1, 2);
    const d = await loadDataset(spec('cifar10', { path: src }), { cacheDir: cache() });
    assert.equal(d.train.count, 4);
    assert.equal(d.source, src);
  });
});

/**
 * Decompression bombs in dataset import (issue 21): each reader checks the size a file declares
 * (PNG IHDR, JPEG SOF, IDX dimensions) against the import limits before decoding, and no gunzip
 * inflates past what was declared. The bombs are real (valid checksums, data that inflates to what
 * the header says); peak memory is measured in a child process.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, describe, test } from 'node:test';
import { importDataset, readCacheFolder } from '../../src-main/data/cache.ts';
import '../../src-main/data/formats/index.ts';
import { getFormat } from '../../src-main/data/formats/registry.ts';
import { jpegBomb, pngBomb, writeIdxBomb } from './bombs.ts';
import { pngBytes, writeClassFolder, writeIdx } from './fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'dplab-bombs-'));
after(() => rmSync(root, { recursive: true, force: true }));
let k = 0;
const fresh = (name: string) => join(root, `${k++}-${name}`);
const read = (format: string, dir: string, extra: Record<string, unknown> = {}) => getFormat(format).read(dir, { name: 'x', ...extra });

/** A folder of one class holding `file` (plus two small valid images). */
function folderWith(name: string, file: string, bytes: Buffer): string {
  const dir = fresh(name);
  writeClassFolder(dir, ['a'], 2, 8, 8);
  writeFileSync(join(dir, 'a', file), bytes);
  return dir;
}

const PNG_BOMB = () => pngBomb(20000, 20000);

describe('refused from the header, before decoding', () => {
  test('a PNG whose IHDR declares 20000×20000 (valid, ~50 KB; 1.6 GB as RGBA) names file, size, limit and the flag', async () => {
    const bomb = PNG_BOMB();
    assert.ok(bomb.length < 200_000, `the bomb is ${bomb.length} bytes`);
    const dir = folderWith('png-bomb', 'zz.png', bomb);
    await assert.rejects(read('folder', dir), (e: Error) => {
      assert.ok(e.message.includes(join(dir, 'a', 'zz.png')), e.message);
      assert.match(e.message, /declares 20000×20000 = 400000000 pixels, more than the limit of 16777216 pixels per image; nothing was decoded/);
      assert.match(e.message, /--max-image-pixels/);
      assert.match(e.message, /maxImagePixels/);
      return true;
    });
  });

  test('a JPEG whose frame header (after an APP1 segment) declares 20000×20000', async () => {
    const dir = folderWith('jpeg-bomb', 'zz.jpg', jpegBomb(20000, 20000));
    await assert.rejects(read('folder', dir), (e: Error) => e.message.includes(join(dir, 'a', 'zz.jpg')) && /declares 20000×20000 = 400000000 pixels, more than the limit of 16777216/.test(e.message));
  });

  test('a 4.5 MB gzip IDX file that really inflates to 4.6 GB is refused from its 16-byte header', async () => {
    const dir = fresh('idx-bomb');
    const { file, bytes } = writeIdxBomb(dir, 70000, 256, 256);
    assert.equal(bytes, 4_587_520_000);
    await assert.rejects(read('idx', dir), (e: Error) => {
      assert.ok(e.message.startsWith(`${file}: its header declares 70000×256×256 = 4587520000 bytes`), e.message);
      assert.match(e.message, /more than the limit of 4294967296 bytes \(4\.0 GiB\) per dataset; nothing was decoded/);
      assert.match(e.message, /--max-dataset-bytes/);
      return true;
    });
  });

  test('IDX dimensions are multiplied exactly: 4294967295×4096×4096 (past 2^53) is not rounded or wrapped', async () => {
    const dir = fresh('idx-overflow');
    writeIdx(dir, { n: 4, m: 2, h: 8, w: 8 });
    const head = Buffer.alloc(16);
    head.writeUInt32BE(0x803, 0);
    head.writeUInt32BE(0xffffffff, 4);
    head.writeUInt32BE(4096, 8);
    head.writeUInt32BE(4096, 12);
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), gzipSync(head));
    await assert.rejects(read('idx', dir), /declares 4294967295×4096×4096 = 72057594021150720 bytes .* more than the limit/);
    const four = Buffer.alloc(16 + 4);
    four.writeUInt32BE(0x804, 0);
    for (let i = 0; i < 4; i++) four.writeUInt32BE(0xffffffff, 4 + 4 * i);
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), gzipSync(four));
    await assert.rejects(read('idx', dir), /expected 3 dimensions/);
  });

  test('the per-dataset limit counts every image of a folder before any is decoded', async () => {
    const dir = fresh('many');
    writeClassFolder(dir, ['a', 'b'], 5, 16, 16);
    await assert.rejects(read('folder', dir, { limits: { maxDatasetBytes: 5000 } }), (e: Error) => {
      assert.ok(e.message.startsWith(`${dir}: its 10 images, decoded to RGB, take 7680 bytes`), e.message);
      assert.match(e.message, /more than the limit of 5000 bytes/);
      return true;
    });
    const d = await read('folder', dir);
    assert.equal(d.train.count + d.test.count, 10);
  });

  test('limits are the user\'s to lower and raise: a 64×64 PNG against 1000 pixels, then the default', async () => {
    const dir = folderWith('small', 'zz.png', pngBytes(0, 64, 64, true));
    await assert.rejects(read('folder', dir, { size: 8, limits: { maxImagePixels: 1000 } }), /zz\.png: the image declares 64×64 = 4096 pixels, more than the limit of 1000 pixels per image/);
    const d = await read('folder', dir, { size: 8, limits: { maxImagePixels: 4096 } });
    assert.equal(d.height, 8);
  });
});

describe('inflation stops at the declared size', () => {
  test('an interlaced PNG of 64×64 whose IDAT inflates to 64 MiB is refused (pngjs bounds only non-interlaced ones)', async () => {
    const bomb = pngBomb(64, 64, { depth: 8, interlace: true, inflated: 64 * 2 ** 20 });
    const dir = folderWith('interlaced', 'zz.png', bomb);
    await assert.rejects(read('folder', dir, { size: 8 }), (e: Error) => e.message.includes(join(dir, 'a', 'zz.png')) && /inflates to more than the 6016 bytes its header allows/.test(e.message));
    // An interlaced image with its honest data still reads (Adam7 passes of 8×8: 79 bytes with filter bytes).
    const ok = folderWith('interlaced-ok', 'zz.png', pngBomb(8, 8, { depth: 8, interlace: true, inflated: 79 }));
    assert.ok((await read('folder', ok, { size: 8 })).train.count >= 1);
  });

  test('a PNG declaring 8×8, then 64×64 in a second IHDR (pngjs decodes the last one) is refused under a 100-pixel limit', async () => {
    const small = pngBomb(8, 8, { depth: 8 });
    const big = pngBomb(64, 64, { depth: 8 });
    // The small image's signature and IHDR, then the big one's IHDR, IDAT and IEND: valid CRCs throughout.
    const dir = folderWith('two-ihdr', 'zz.png', Buffer.concat([small.subarray(0, 33), big.subarray(8)]));
    const opts = { size: 8, limits: { maxImagePixels: 100 } };
    await assert.rejects(read('folder', dir, opts), (e: Error) => e.message.includes(join(dir, 'a', 'zz.png')) && /a second IHDR chunk at byte 33/.test(e.message));
  });

  test('a gzip IDX file longer than its header declares stops inflating there', async () => {
    const dir = fresh('idx-long');
    writeIdx(dir, { n: 10, m: 4, h: 8, w: 8 });
    const head = Buffer.alloc(16 + 640);
    head.writeUInt32BE(0x803, 0);
    head.writeUInt32BE(10, 4);
    head.writeUInt32BE(8, 8);
    head.writeUInt32BE(8, 12);
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), Buffer.concat([gzipSync(head), gzipSync(Buffer.alloc(64 * 2 ** 20))]));
    rmSync(join(dir, 'train-images-idx3-ubyte'));
    await assert.rejects(read('idx', dir), /train-images-idx3-ubyte\.gz: the gzip stream inflates to more than the 656 bytes its header declares/);
  });

  test('a cached gzip file inflating past what meta.json declares is stopped there', async () => {
    const src = fresh('cached-src');
    writeIdx(src, { n: 10, m: 4, h: 8, w: 8 });
    const c = fresh('cache');
    await importDataset(src, { name: 'small', cacheDir: c });
    writeFileSync(join(c, 'small', 'test.images.u8'), gzipSync(Buffer.alloc(64 * 2 ** 20)));
    assert.throws(() => readCacheFolder(join(c, 'small')), /test\.images\.u8: expected 256 bytes \(4 images of 64\), found more \(.*inflates to more than the 256 bytes meta\.json declares/);
  });
});

/** Imports each path in a fresh child process; its messages and its peak resident memory in bytes. */
function importInChild(paths: string[]): { messages: string[]; maxRss: number } {
  const cache = fresh('child-cache');
  const script = `
    const { importDataset } = await import(${JSON.stringify(new URL('../../src-main/data/cache.ts', import.meta.url).pathname)});
    const messages = [];
    for (const [i, p] of ${JSON.stringify(paths)}.entries()) {
      try { await importDataset(p, { cacheDir: ${JSON.stringify(cache)}, name: 'd' + i }); messages.push('imported'); }
      catch (e) { messages.push(e.message); }
    }
    // VmHWM: this process's own peak (ru_maxrss would start from the parent's, inherited across fork and exec).
    const { readFileSync } = await import('node:fs');
    const hwm = /VmHWM:\\s*(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    console.log(JSON.stringify({ messages, maxRss: (hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS) * 1024 }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 100_000 });
  assert.equal(r.status, 0, `child: ${r.error?.message ?? ''} ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { messages: string[]; maxRss: number };
}

test('peak memory: importing the PNG, JPEG and IDX bombs costs a child process under 200 MB above its baseline', (t) => {
  const png = folderWith('mem-png', 'zz.png', PNG_BOMB());
  const jpg = folderWith('mem-jpg', 'zz.jpg', jpegBomb(20000, 20000));
  const idx = fresh('mem-idx');
  writeIdxBomb(idx, 70000, 256, 256);
  const base = importInChild([]);
  const bombs = importInChild([png, jpg, idx]);
  assert.equal(bombs.messages.length, 3);
  for (const m of bombs.messages) assert.match(m, /more than the limit of/);
  const extra = bombs.maxRss - base.maxRss;
  t.diagnostic(`peak RSS ${(bombs.maxRss / 2 ** 20).toFixed(0)} MiB with the bombs, ${(base.maxRss / 2 ** 20).toFixed(0)} MiB at baseline`);
  // Decoding the PNG alone would take 1.6 GB (RGBA) and inflating the IDX file 4.6 GB.
  assert.ok(extra < 200 * 2 ** 20, `peak RSS ${(bombs.maxRss / 2 ** 20).toFixed(0)} MiB vs ${(base.maxRss / 2 ** 20).toFixed(0)} MiB at baseline`);
});

test('the gzip header read of a healthy IDX folder and the small valid images still import', async () => {
  const dir = fresh('ok');
  writeIdx(dir, { n: 30, m: 12, h: 28, w: 28, gz: true });
  const d = await read('idx', dir);
  assert.equal(d.train.count, 30);
  const f = fresh('ok-folder');
  mkdirSync(f);
  writeClassFolder(f, ['a', 'b'], 5, 16, 16, false);
  assert.equal((await read('folder', f)).channels, 3);
});

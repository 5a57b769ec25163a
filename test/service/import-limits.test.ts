/**
 * The import limits through the service (datasets.import, as `dplab serve` and the app send it):
 * a bomb is refused from its header without the process's memory growing, the limits are request
 * fields the contract bounds, and a caller who trusts a larger image raises them. Real LabService,
 * real worker thread, real cache folder.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LabService, type ServiceReply } from '../../src-main/service/service.ts';
import { pngBomb } from '../data/bombs.ts';
import { writeClassFolder } from '../data/fixtures.ts';

let dir: string;
let service: LabService;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dplab-import-limits-'));
  service = new LabService({ archivePath: join(dir, 'a.sqlite'), transport: 'http', dataDir: join(dir, 'data') });
});

after(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

function errorOf(r: ServiceReply): { code: string; message: string } {
  assert.equal(r.ok, false, `expected an error, got ${JSON.stringify(r).slice(0, 300)}`);
  return (r as { error: { code: string; message: string } }).error;
}

/** This process's peak resident memory so far (the import's worker thread shares it). */
function peakRss(): number {
  const m = /VmHWM:\s*(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

test('a PNG declaring 20000×20000 is refused by the server from its header; the process does not grow', async (t) => {
  const src = join(dir, 'bomb');
  writeClassFolder(src, ['a'], 2, 8, 8);
  writeFileSync(join(src, 'a', 'zz.png'), pngBomb(20000, 20000));
  const before = peakRss();
  const e = errorOf(await service.handle('datasets.import', { path: src, name: 'bomb' }));
  const grew = peakRss() - before;
  t.diagnostic(`peak RSS grew by ${(grew / 2 ** 20).toFixed(1)} MiB`);
  assert.ok(e.message.includes(join(src, 'a', 'zz.png')), e.message);
  assert.match(e.message, /declares 20000×20000 = 400000000 pixels, more than the limit of 16777216 pixels per image; nothing was decoded \(.*datasets\.import maxImagePixels/);
  // Decoding it would take 1.6 GB for the RGBA alone.
  assert.ok(grew < 200 * 2 ** 20, `peak RSS grew by ${(grew / 2 ** 20).toFixed(0)} MiB`);
  const list = await service.handle('datasets.list', {});
  assert.ok(list.ok && !(list.result as { name: string }[]).some((d) => d.name === 'bomb'));
});

test('the limits are request fields the contract bounds: not zero, not fractional, not above 16384² pixels or 64 GiB', async () => {
  const src = join(dir, 'small');
  writeClassFolder(src, ['a', 'b'], 5, 16, 16);
  for (const [field, value] of [
    ['maxImagePixels', 0],
    ['maxImagePixels', 1.5],
    ['maxImagePixels', 16384 * 16384 + 1],
    ['maxImagePixels', '4096'],
    ['maxDatasetBytes', -1],
    ['maxDatasetBytes', 64 * 2 ** 30 + 1],
  ] as const) {
    const e = errorOf(await service.handle('datasets.import', { path: src, name: 'small', [field]: value }));
    assert.equal(e.code, 'invalid-args', `${field}=${value}: ${e.message}`);
    assert.ok(e.message.includes(field), `${field}=${value}: ${e.message}`);
  }
});

test('a caller lowers or raises the limits: 16×16 images against 100 pixels, then 256; 10 of them against 5000 bytes, then 7680', async () => {
  const src = join(dir, 'small');
  let e = errorOf(await service.handle('datasets.import', { path: src, name: 'small', maxImagePixels: 100 }));
  assert.match(e.message, /img\d+\.png: the image declares 16×16 = 256 pixels, more than the limit of 100 pixels per image/);
  e = errorOf(await service.handle('datasets.import', { path: src, name: 'small', maxImagePixels: 256, maxDatasetBytes: 5000 }));
  assert.match(e.message, /its 10 images, decoded to RGB, take 7680 bytes \(0\.0 MiB\) of images, more than the limit of 5000 bytes/);
  const ok = await service.handle('datasets.import', { path: src, name: 'small', maxImagePixels: 256, maxDatasetBytes: 7680 });
  assert.equal(ok.ok, true, JSON.stringify(ok));
  const list = await service.handle('datasets.list', {});
  assert.ok(list.ok && (list.result as { name: string }[]).some((d) => d.name === 'small'));
});

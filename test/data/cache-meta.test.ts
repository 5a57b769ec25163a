import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CACHE_VERSION, readMeta } from '../../src-main/data/cache.ts';

const good = {
  kind: 'dplab-dataset', version: CACHE_VERSION, name: 'x', height: 8, width: 8, channels: 1, classNames: ['a', 'b'],
  counts: { train: 4, test: 2 }, files: { train: { images: 'train-images.u8', labels: 'train-labels.i32' }, test: { images: 'test-images.u8', labels: 'test-labels.i32' } },
  hash: 'h', source: 's', format: 'idx', importedAt: '2026-01-01T00:00:00Z',
};

test('meta.json is validated field by field before any file it names is opened', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-meta-'));
  try {
    const put = (m: unknown) => writeFileSync(join(dir, 'meta.json'), JSON.stringify(m));
    put(good);
    assert.equal(readMeta(dir).name, 'x');
    put({ ...good, files: { train: { images: '../../../etc/passwd', labels: 'l' } } });
    assert.throws(() => readMeta(dir), /files\.train\.images must be a plain file name/);
    put({ ...good, height: 'eight' });
    assert.throws(() => readMeta(dir), /field height/);
    put({ ...good, channels: 2 });
    assert.throws(() => readMeta(dir), /field channels/);
    put({ ...good, counts: { bogus: 1 } });
    assert.throws(() => readMeta(dir), /field counts/);
    put({ ...good, kind: 'other' });
    assert.throws(() => readMeta(dir), /not a DirectPred Lab dataset/);
    put({ ...good, version: CACHE_VERSION + 1 });
    assert.throws(() => readMeta(dir), /newer than this lab/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Imports leave nothing behind: a datasets.import cancelled while its worker writes the temporary
 * `.import-*` folder (real service, real worker thread) ends with that folder removed and no
 * dataset; the folders of an import whose process died (a crash) are removed when the cache is
 * listed, a live process's never, and a dataset a crashed forced import had moved aside is put back.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, watch, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabService, type ServiceReply } from '../../src-main/service/service.ts';
import { listDatasets } from '../../src-main/data/cache.ts';
import { writeIdx } from './fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'dplab-leftovers-'));
after(() => rmSync(root, { recursive: true, force: true }));

const temps = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((e) => e.startsWith('.import-')) : []);

test('a datasets.import cancelled mid-write removes its .import-* folder and keeps no dataset', async () => {
  const data = join(root, 'data');
  mkdirSync(data, { recursive: true });
  const service = new LabService({ archivePath: join(root, 'a.sqlite'), transport: 'http', dataDir: data });
  try {
    // The cancel is sent the moment the temporary folder appears. Should an attempt's import win
    // the race and finish first (a heavily loaded machine), the next one is larger.
    let caught = false;
    for (const [i, n, size] of [[0, 15_000, 64], [1, 30_000, 64], [2, 30_000, 96]] as const) {
      const src = join(root, `src-${i}`);
      writeIdx(src, { n, m: 100, h: size, w: size });
      const jobId = `import-${i}`;
      let seen = false;
      const watcher = watch(data, (_event, file) => {
        if (!seen && typeof file === 'string' && file.startsWith('.import-')) {
          seen = true;
          void service.handle('jobs.cancel', { jobId });
        }
      });
      let reply: ServiceReply;
      try {
        reply = await service.handle('datasets.import', { path: src, name: `big-${i}`, jobId });
      } finally {
        watcher.close();
      }
      assert.deepEqual(temps(data), [], `attempt ${i}: temporary folders left: ${temps(data).join(', ')}`);
      if (reply.ok) {
        // The import finished before the cancel reached it: a complete dataset, nothing to test here.
        assert.ok(existsSync(join(data, `big-${i}`, 'meta.json')));
        continue;
      }
      assert.match(reply.error.message, /datasets\.import: job import-\d was cancelled/);
      assert.equal(seen, true, 'the cancel came from the watcher');
      assert.equal(existsSync(join(data, `big-${i}`)), false, 'a cancelled import adds no dataset');
      caught = true;
      break;
    }
    assert.ok(caught, 'no attempt was cancelled while its temporary folder existed');
    // The cache still imports afterwards.
    const small = join(root, 'small');
    writeIdx(small, { n: 40, m: 10, h: 8, w: 8 });
    const ok = await service.handle('datasets.import', { path: small, name: 'small' });
    assert.equal(ok.ok, true, JSON.stringify(ok));
    assert.deepEqual(temps(data), []);
  } finally {
    await service.close();
  }
});

/** The pid of a process that has exited (and was reaped), checked to be free still. */
function deadPid(): number {
  for (;;) {
    const pid = spawnSync(process.execPath, ['-e', '']).pid;
    try {
      process.kill(pid, 0);
    } catch {
      return pid;
    }
  }
}

test('listing removes the folders of crashed imports (dead pid), keeps live ones, restores a dataset moved aside', () => {
  const cache = join(root, 'cache');
  mkdirSync(cache, { recursive: true });
  const host = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
  const dead = deadPid();
  const plant = (entry: string, file = 'train.images.u8') => {
    mkdirSync(join(cache, entry));
    writeFileSync(join(cache, entry, file), 'x');
  };
  const crashed = `.import-cifar-${dead}-1764600000000-h${host}`;
  const crashedOldStyle = `.import-stl-10-${dead}-1764600000001`;
  const live = `.import-mine-${process.pid}-1764600000002-h${host}`;
  // Another machine's import on a shared cache: its pid means nothing here, so it is left alone.
  const foreign = `.import-far-${dead}-1764600000003-h${host === '00000000' ? '11111111' : '00000000'}`;
  // A forced re-import of 'keep' crashed between its two renames: 'keep' moved aside, new data not in place.
  const movedAside = `.import-keep-${dead}-1764600000004-h${host}.old`;
  const half = `.import-keep-${dead}-1764600000004-h${host}`;
  for (const e of [crashed, crashedOldStyle, live, foreign, half]) plant(e);
  plant(movedAside, 'meta.json');
  writeFileSync(
    join(cache, movedAside, 'meta.json'),
    JSON.stringify({ kind: 'dplab-dataset', version: 1, name: 'keep', height: 2, width: 2, channels: 1, classNames: ['a'], counts: {}, files: {}, hash: 'h', source: 's', format: 'idx', importedAt: 'then' }),
  );

  const listed = listDatasets(cache);
  assert.deepEqual(temps(cache).sort(), [foreign, live].sort());
  assert.ok(existsSync(join(cache, 'keep', 'meta.json')), 'the dataset moved aside is back in place');
  assert.deepEqual(
    listed.map((d) => d.name),
    ['keep'],
  );
  assert.equal(listed[0]!.meta?.name, 'keep');
});

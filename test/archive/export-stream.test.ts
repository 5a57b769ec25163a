/**
 * Streamed export of many runs (issue 15, item 3): the export is produced one run per chunk, so the
 * heap grows by about one run, not by the whole export (one JSON string of 1,000 runs took 2.2 GB);
 * the single-reply runs.export refuses past its limit and points to the stream; the HTTP download
 * (/api/export), the desktop's file export and `dplab runs export --all` deliver every run and
 * re-import exactly.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openArchive } from '../../src-main/archive/archive.ts';
import { exportRunBundle, importRunBundle, type RunBundle } from '../../src-main/archive/export.ts';
import { LabService } from '../../src-main/service/service.ts';
import { startLabServer } from '../../src-main/server/server.ts';
import type { TrainerEvent } from '../../src-main/common/events.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNS = 300;
const STEPS = 1000;
let dir: string;
let file: string;
let uuids: string[];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dplab-export-stream-'));
  file = join(dir, 'many.sqlite');
  const a = openArchive(file);
  uuids = [];
  a.transaction(() => {
    for (let k = 0; k < RUNS; k++) {
      const r = a.createRun({ name: `run ${k}`, setup: { seed: k }, setupHash: `h${k}`, seed: k });
      const ev: TrainerEvent[] = [];
      for (let s = 1; s <= STEPS; s++) ev.push({ type: 'scalars', step: s, epoch: 0, values: { loss: 1 / (s + k) + Math.sin(s * k) * 1e-7, lr: 0.03 + s * 1e-9, collapseStd: 0.5 + k * 1e-4 } });
      a.appendEvents(r.uuid, ev);
      uuids.push(r.uuid);
    }
  });
  a.close();
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('the export streams one run per chunk and the heap grows by far less than the export', async (t) => {
  const service = new LabService({ archivePath: file, transport: 'http' });
  try {
    const ex = await service.exportStream({ runIds: uuids, format: 'ndjson' });
    assert.equal(ex.runs, RUNS);
    gc();
    const base = process.memoryUsage().heapUsed;
    let peak = 0;
    let total = 0;
    let biggest = 0;
    let n = 0;
    for (const c of ex.chunks) {
      n++;
      total += c.length;
      biggest = Math.max(biggest, c.length);
      assert.equal((JSON.parse(c) as RunBundle).run.uuid, uuids[n - 1]);
      if (n % 25 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - base);
      }
    }
    assert.equal(n, RUNS, 'one chunk per run');
    assert.ok(total > 10 * 1024 * 1024, `the export should be large enough to see (${total} chars)`);
    assert.ok(biggest < (3 * total) / RUNS, `no chunk holds more than about one run (${biggest} vs mean ${total / RUNS})`);
    t.diagnostic(`streamed ${(total / 1048576).toFixed(1)} MiB in ${n} chunks; heap growth peak ${(peak / 1048576).toFixed(2)} MiB`);
    // Loose: one run's worth of objects plus noise, against an export of tens of MB kept whole before.
    assert.ok(peak < total / 4, `heap grew by ${(peak / 1048576).toFixed(1)} MiB while streaming ${(total / 1048576).toFixed(1)} MiB`);

    // The single reply refuses beyond its limit and says where to go instead.
    const small = new LabService({ archivePath: file, transport: 'http', exportReplyLimit: 1024 * 1024 });
    try {
      const r = await small.handle('runs.export', { runIds: uuids, format: 'json' });
      assert.equal(r.ok, false);
      assert.match((r as { error: { message: string } }).error.message, /larger than 1 MiB, too large for one reply; use the streamed export/);
      const one = await small.handle('runs.export', { runIds: uuids.slice(0, 3), format: 'json' });
      assert.equal(one.ok, true);
      assert.equal((JSON.parse((one as { result: { content: string } }).result.content) as RunBundle[]).length, 3);
    } finally {
      await small.close();
    }

    // The desktop path: to a file, all or nothing, re-importable run for run.
    const out = join(dir, 'all.json');
    const w = await service.exportToFile({ runIds: uuids, format: 'json' }, out);
    assert.equal(w.runs, RUNS);
    const bundles = JSON.parse(readFileSync(out, 'utf8')) as RunBundle[];
    assert.equal(bundles.length, RUNS);
    assert.equal(readdirSync(dir).filter((f) => f.includes('.part-')).length, 0, 'no temporary file left');
    const b = openArchive(join(dir, 'back.sqlite'));
    for (const x of bundles.slice(0, 5)) importRunBundle(b, x);
    const src = openArchive(file, { readonly: true });
    assert.deepEqual(exportRunBundle(b, uuids[3]!).metrics, exportRunBundle(src, uuids[3]!).metrics);
    src.close();
    b.close();
  } finally {
    await service.close();
  }
});

test('a runs.export whose connection closes stops before building its reply', async () => {
  const service = new LabService({ archivePath: file, transport: 'http' });
  try {
    const conn = service.connect();
    const reply = conn.handle('runs.export', { runIds: uuids.slice(0, 50), format: 'json' });
    conn.close(); // the socket or window went away while the export was under way
    const r = await reply;
    assert.equal(r.ok, false);
    assert.equal((r as { error: { message: string } }).error.message, 'runs.export: the connection closed; the export was stopped');
    // Another connection exports as before.
    const other = await service.connect().handle('runs.export', { runIds: uuids.slice(0, 2), format: 'ndjson' });
    assert.equal(other.ok, true);
  } finally {
    await service.close();
  }
});

test('HTTP /api/export streams an attachment; without the token it is refused', async () => {
  const warnings: Error[] = [];
  process.on('warning', (w) => warnings.push(w));
  const service = new LabService({ archivePath: file, transport: 'http' });
  const server = await startLabServer({ service, rootDir: dir, port: 0 });
  try {
    const url = new URL(server.url);
    const api = new URL('/api/export', url);
    const denied = await fetch(api, { method: 'POST', body: JSON.stringify({ runIds: uuids, format: 'json' }) });
    assert.equal(denied.status, 401);
    await denied.arrayBuffer();
    const inUrl = await fetch(`${api.href}?token=${server.token}`, { method: 'POST', body: JSON.stringify({ runIds: uuids, format: 'json' }) });
    assert.equal(inUrl.status, 401, 'the token goes in the Authorization header, not the URL');
    await inUrl.arrayBuffer();
    const res = await fetch(api, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${server.token}` }, body: new URLSearchParams({ args: JSON.stringify({ runIds: uuids, format: 'ndjson' }) }) });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="runs-\d{4}-\d\d-\d\d\.ndjson"$/);
    let lines = 0;
    let rest = '';
    const dec = new TextDecoder();
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
      rest += dec.decode(part, { stream: true });
      const cut = rest.lastIndexOf('\n');
      if (cut < 0) continue;
      for (const line of rest.slice(0, cut).split('\n')) {
        assert.equal((JSON.parse(line) as RunBundle).format, 'dplab-run');
        lines++;
      }
      rest = rest.slice(cut + 1);
    }
    assert.equal(lines, RUNS);
    // Each back-pressure wait cleans up after itself: no listener piles up on the response.
    assert.deepEqual(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message), []);
    const bad = await fetch(api, { method: 'POST', headers: { authorization: `Bearer ${server.token}` }, body: JSON.stringify({ runIds: ['no-such-run'], format: 'json' }) });
    assert.equal(bad.status, 404);
    assert.match(await bad.text(), /no run no-such-run in /);
  } finally {
    await server.close();
    await service.close();
  }
});

test('`dplab runs export --all --format json --out FILE` writes every run, re-importable', () => {
  const out = join(dir, 'cli.json');
  const r = spawnSync(process.execPath, ['bin/dplab.mjs', 'runs', 'export', '--all', '--format', 'json', '--out', out, '--archive', file], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(out));
  const bundles = JSON.parse(readFileSync(out, 'utf8')) as RunBundle[];
  assert.equal(bundles.length, RUNS);
  assert.deepEqual(new Set(bundles.map((b) => b.run.uuid)), new Set(uuids));
  const imp = spawnSync(process.execPath, ['bin/dplab.mjs', 'archive', 'import', out, '--archive', join(dir, 'cli-back.sqlite')], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(imp.status, 0, imp.stderr);
  const again = openArchive(join(dir, 'cli-back.sqlite'), { readonly: true });
  assert.equal(again.listRuns({}).length, RUNS);
  again.close();
});

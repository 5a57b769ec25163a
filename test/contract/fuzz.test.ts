// npm test: mostly waits (on a served lab's replies: 4.6 s of CPU in 20 s of wall, 2026-12-08)
/**
 * A seeded, bounded fuzz of the contract with hostile arguments: prototype keys (`__proto__`,
 * `constructor`, `prototype`) as own keys at any depth (as JSON delivers them) and path-shaped
 * strings (field paths into prototypes, `..` walks, encoded and backslash variants, absolute system
 * files) in every string slot, for every request. Through the LabService (what IPC and HTTP reach)
 * and through a real `dplab serve` WebSocket. The lab must answer each with a well-formed reply,
 * refuse every request that carries a prototype key, leave Object.prototype unchanged, write no file
 * outside its folders, start no run, and stay up.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { REQUEST_NAMES, WS_PROTOCOL, WS_TOKEN_PREFIX, findForbiddenKey, type LabEvent } from '../../src-main/contract/index.ts';
import { LabService } from '../../src-main/service/service.ts';
import { silentTrainer } from '../runs/fixtures/silent-trainer.ts';
import { rng, startServe, TINY_SETUP } from '../server/helpers.ts';

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];
const PATHS = [
  '__proto__',
  '__proto__.NODE_OPTIONS',
  'constructor.prototype.polluted',
  'optim.__proto__.x',
  'prototype',
  '../../../../etc/passwd',
  '..%2f..%2fpackage.json',
  '%2e%2e/%2e%2e/x',
  '..\\..\\windows\\win.ini',
  '/etc/passwd',
  'a/../../b.sqlite',
  './x/../../../y',
  'optim.lr',
  'predictor.kind',
  '\u0000',
  'C:\\Windows\\system.ini',
];

/** Valid-looking arguments per request, which the fuzzer then poisons. */
function template(name: string, r: () => number): Record<string, unknown> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  switch (name) {
    case 'runs.start':
      return { setup: structuredClone(TINY_SETUP) as Record<string, unknown>, name: pick(PATHS) };
    case 'sweeps.preview':
    case 'sweeps.start': {
      // With a stored baseline (axis value, metric, margin), so its fields are mutated too.
      const axis = pick(PATHS);
      return { definition: { name: pick(PATHS), base: structuredClone(TINY_SETUP), axes: { [axis]: [1, 2] }, seeds: 1, baseline: { path: axis, value: 1, metric: 'knnAcc', margin: 0.05 } } };
    }
    case 'sweeps.addSeeds':
      return { sweepId: pick(PATHS), seeds: 3 };
    case 'estimate.time':
      // `probe` present (false) so its mutations are tried; a true one would start a probe trainer, which this test counts as started work.
      return r() < 0.5 ? { setups: [structuredClone(TINY_SETUP)], reuse: true, probe: false } : { definition: { name: pick(PATHS), base: structuredClone(TINY_SETUP), axes: { [pick(PATHS)]: [1, 2] }, seeds: 1 }, probe: false };
    case 'sweeps.get':
      return { sweepId: pick(PATHS), groupBy: [pick(PATHS)] };
    case 'theory.run':
      return { preset: pick(PATHS), params: { [pick(PATHS)]: 1 } };
    case 'datasets.import':
      return { path: pick(PATHS), name: pick(PATHS), format: pick(PATHS) };
    case 'archive.open':
    case 'archive.import':
      return { path: pick(PATHS) };
    case 'runs.export':
      return { runIds: [pick(PATHS)], format: pick(['csv', 'json', 'ndjson']) };
    case 'runs.tag':
      return { runId: pick(PATHS), add: [pick(PATHS)] };
    case 'runs.note':
      return { runId: pick(PATHS), markdown: pick(PATHS) };
    case 'runs.metrics':
      return { runId: pick(PATHS), names: [pick(PATHS)] };
    case 'setup.validate':
      return { setup: structuredClone(TINY_SETUP) };
    case 'runs.list':
      return { tag: pick(PATHS), sweepId: pick(PATHS) };
    case 'jobs.cancel':
      return { jobId: pick(PATHS) };
    case 'reproduce.run':
      return { claims: [pick(PATHS), 'all'], seeds: 1 };
    case 'reproduce.results':
    case 'reproduce.report':
      // Without seeds the service reads every seed the archive holds; with them, exactly those.
      return r() < 0.5 ? {} : { seeds: 2 };
    default:
      return { runId: pick(PATHS) };
  }
}

/** Puts a prototype key as an own key somewhere inside `value` (JSON keeps it as data). */
function plantKey(value: Record<string, unknown>, r: () => number): void {
  let cur: Record<string, unknown> = value;
  for (let depth = 0; depth < 4 && r() < 0.6; depth++) {
    const objs = Object.keys(cur).filter((k) => cur[k] !== null && typeof cur[k] === 'object' && !Array.isArray(cur[k]));
    if (objs.length === 0) break;
    cur = cur[objs[Math.floor(r() * objs.length)]!] as Record<string, unknown>;
  }
  const key = PROTO_KEYS[Math.floor(r() * PROTO_KEYS.length)]!;
  Object.defineProperty(cur, key, { value: r() < 0.5 ? { NODE_OPTIONS: '--import=data:text/javascript,0', polluted: true } : 'x', enumerable: true, configurable: true, writable: true });
}

/** One hostile message: `{name, args}` as JSON text, and whether it carries a prototype key. */
function hostile(r: () => number): { name: string; text: string; poisoned: boolean } {
  const name = REQUEST_NAMES[Math.floor(r() * REQUEST_NAMES.length)]!;
  const args = template(name, r);
  // Requests that would start work always carry a prototype key, so the fuzz stays bounded and each must be refused.
  const starts = ['runs.start', 'sweeps.start', 'runs.resume', 'theory.run', 'datasets.import', 'backends.list', 'reproduce.run', 'reproduce.results', 'reproduce.report'].includes(name);
  if (starts || r() < 0.6) plantKey(args, r);
  const text = JSON.stringify(args);
  return { name, text, poisoned: findForbiddenKey(JSON.parse(text)) !== null };
}

let dir: string;
let work: string;
const protoNames = (): string => JSON.stringify([Object.getOwnPropertyNames(Object.prototype).sort(), Object.getOwnPropertyNames(Function.prototype).sort(), Object.getOwnPropertyNames(Array.prototype).sort()]);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dplab-fuzz-'));
  work = join(dir, 'cwd');
  mkdirSync(work);
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('LabService: 1,500 hostile requests, each answered; prototype keys refused; nothing polluted, written or started', async () => {
  const cwd = process.cwd();
  process.chdir(work); // relative paths in the fuzz resolve inside an empty folder we can watch
  const passwd = statSync('/etc/passwd').mtimeMs;
  const before = protoNames();
  const service = new LabService({ archivePath: join(dir, 'fuzz.sqlite'), transport: 'ipc', concurrency: 1, dataDir: join(dir, 'data') });
  const r = rng(20261201);
  const codes = new Map<string, number>();
  try {
    for (let i = 0; i < 1500; i++) {
      const m = hostile(r);
      const reply = await service.handle(m.name, JSON.parse(m.text));
      assert.ok(reply && typeof reply === 'object' && typeof reply.ok === 'boolean', `${m.name} ${m.text.slice(0, 120)}: malformed reply`);
      if (!reply.ok) {
        assert.ok(['invalid-args', 'not-found', 'failed', 'unknown-request'].includes(reply.error.code), reply.error.code);
        assert.equal(typeof reply.error.message, 'string');
        codes.set(reply.error.code, (codes.get(reply.error.code) ?? 0) + 1);
      }
      if (m.poisoned) assert.equal(!reply.ok && reply.error.code, 'invalid-args', `${m.name} ${m.text.slice(0, 160)} carries a prototype key and must be refused`);
      assert.equal(protoNames(), before, `${m.name} ${m.text.slice(0, 160)} changed a prototype`);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    }
    const runs = await service.handle('runs.list', {});
    assert.ok(runs.ok);
    assert.deepEqual(runs.ok && runs.result, [], 'no run was created');
    assert.equal((await service.handle('app.info', {})).ok, true, 'the lab still answers');
  } finally {
    await service.close();
    process.chdir(cwd);
  }
  assert.deepEqual(readdirSync(work), [], 'nothing written where relative paths point');
  assert.equal(statSync('/etc/passwd').mtimeMs, passwd);
  assert.ok((codes.get('invalid-args') ?? 0) > 500, `most hostile requests are invalid: ${JSON.stringify([...codes])}`);
});

test('dplab serve WebSocket: 300 hostile requests answered, prototype keys refused, server up and unchanged', async () => {
  const served = await startServe(['--archive', join(dir, 'serve.sqlite'), '--concurrency', '1'], { DPLAB_DATA_DIR: join(dir, 'serve-data') });
  try {
    const wsUrl = new URL('/ws', served.url);
    wsUrl.protocol = 'ws:';
    const ws = new WebSocket(wsUrl, [WS_PROTOCOL, `${WS_TOKEN_PREFIX}${served.token}`], { headers: { Origin: served.url.origin } });
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    const replies = new Map<number, { ok: boolean; error?: { code: string } }>();
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { id?: number };
      if (typeof m.id === 'number') replies.set(m.id, m as { ok: boolean });
    });
    const ask = async (id: number, name: string, argsText: string) => {
      ws.send(`{"id":${id},"name":${JSON.stringify(name)},"args":${argsText}}`);
      const deadline = Date.now() + 30_000;
      while (!replies.has(id)) {
        if (Date.now() > deadline) throw new Error(`no reply to ${name} ${argsText.slice(0, 100)}`);
        await new Promise((res) => setTimeout(res, 5));
      }
      return replies.get(id)!;
    };
    const r = rng(1201);
    for (let i = 1; i <= 300; i++) {
      const m = hostile(r);
      const reply = await ask(i, m.name, m.text);
      assert.equal(typeof reply.ok, 'boolean');
      if (m.poisoned) assert.equal(reply.error?.code, 'invalid-args', `${m.name} ${m.text.slice(0, 160)}`);
    }
    // A polluted server would answer these differently: runs.get {} must not find a run, the list must be empty.
    assert.equal((await ask(1000, 'runs.get', '{}')).ok, false);
    const list = (await ask(1001, 'runs.list', '{}')) as { ok: boolean; result?: unknown[] };
    assert.deepEqual(list.result, []);
    assert.equal((await ask(1002, 'app.info', '{}')).ok, true);
    ws.close();
    assert.equal(served.child.exitCode, null, 'the server is still up');
  } finally {
    const code = await served.stop();
    assert.equal(code, 0, served.stderr());
  }
});

test('file paths in requests: absolute only, never a new folder, nothing created on refusal', async () => {
  const service = new LabService({ archivePath: join(dir, 'paths.sqlite'), transport: 'ipc', concurrency: 1, dataDir: join(dir, 'paths-data') });
  try {
    for (const [name, path] of [
      ['archive.open', 'relative.sqlite'],
      ['archive.open', '../up.sqlite'],
      ['archive.open', join(dir, 'no-such-folder', 'x.sqlite')],
      ['archive.import', join(dir, 'missing.sqlite')],
      ['datasets.import', 'some/folder'],
      ['datasets.import', join(dir, 'missing-folder')],
    ] as const) {
      const r = await service.handle(name, { path });
      assert.equal(!r.ok && r.error.code, 'invalid-args', `${name} ${path}`);
      assert.match(!r.ok ? r.error.message : '', /absolute|no (archive|dataset) at|does not exist/);
    }
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('no-such') || f.startsWith('missing')), []);
    // A new archive in an existing folder is still how a user starts a fresh one.
    const fresh = join(dir, 'fresh.sqlite');
    const opened = await service.handle('archive.open', { path: fresh });
    assert.equal(opened.ok, true, JSON.stringify(opened));
  } finally {
    await service.close();
  }
});


test('queue bound: 400 valid start/cancel/resume requests never hold more than maxQueued runs; a refused start records nothing', async () => {
  const LIMIT = 12;
  const service = new LabService({ archivePath: join(dir, 'bound.sqlite'), transport: 'ipc', backend: 'wasm', concurrency: 1, dataDir: join(dir, 'bound-data'), launch: silentTrainer, maxQueued: LIMIT });
  const r = rng(20261207);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const list = async () => {
    const l = await service.handle('runs.list', {});
    assert.ok(l.ok);
    return l.result as { id: string; status: string; setupHash: string; tags: string[] }[];
  };
  let refused = 0;
  let started = 0;
  try {
    for (let i = 0; i < 400; i++) {
      const before = await list();
      const kind = pick(['runs.start', 'sweeps.start', 'sweeps.start', 'reproduce.run', 'runs.cancel', 'runs.resume']);
      let args: Record<string, unknown>;
      if (kind === 'runs.start') args = { setup: { ...structuredClone(TINY_SETUP), seed: Math.floor(r() * 1000) } };
      else if (kind === 'sweeps.start') args = { definition: { base: structuredClone(TINY_SETUP), axes: { 'optim.lr': Array.from({ length: 1 + Math.floor(r() * 5) }, (_, k) => 0.01 * (k + 1)) }, seeds: 1 + Math.floor(r() * 3) } };
      else if (kind === 'reproduce.run') args = { claims: [pick(['no-predictor-collapses', 'directpred-eps', 'weight-decay-aligns'])], seeds: 1 + Math.floor(r() * 3) };
      else args = { runId: before.length ? pick(before).id : 'none' };
      const reply = await service.handle(kind, args);
      const after = await list();
      const active = after.filter((x) => x.status === 'queued' || x.status === 'running');
      assert.ok(active.length <= LIMIT, `${kind} ${JSON.stringify(args).slice(0, 120)}: ${active.length} runs queued or running, limit ${LIMIT}`);
      if (!reply.ok && /queued or running runs/.test(reply.error.message)) {
        refused++;
        // All or nothing: a refused start leaves the archive as it was, and says how many there are.
        assert.equal(after.length, before.length, `${kind} was refused but recorded runs`);
        assert.match(reply.error.message, new RegExp(`limit (of )?${LIMIT}`));
      } else if (reply.ok && kind !== 'runs.cancel') started++;
      // Reproduction runs are merged by setup hash: never two unfinished runs of one reproduction setup.
      const hashes = active.filter((x) => x.tags.includes('reproduce')).map((x) => x.setupHash);
      assert.equal(new Set(hashes).size, hashes.length, `${kind}: a reproduction setup is queued twice`);
    }
  } finally {
    await service.close();
  }
  assert.ok(refused > 20 && started > 20, `the fuzz reached the bound (${refused} refused, ${started} started)`);
});

test('jobs: 200 random starts, cancels and closes over 4 connections; a cancel reaches only its own connection, nothing outlives a close', async () => {
  const LONG = { kind: 'full-matrix', params: { n1: 300, n2: 200, t1: 1000, integrator: { method: 'rk4', dt: 0.01 } } };
  const service = new LabService({ archivePath: join(dir, 'jobs.sqlite'), transport: 'http', jobs: { workers: 1, queueLimit: 6 } });
  const r = rng(20261208);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  type Job = { id: string; label: string | null; done: boolean; cancelled: boolean; reply: Promise<unknown> };
  const conns = Array.from({ length: 4 }, () => {
    const c = { events: [] as LabEvent[], jobs: [] as Job[], conn: null as unknown as ReturnType<LabService['connect']> };
    c.conn = service.connect((e) => c.events.push(e));
    return c;
  });
  const LABELS = ['a', 'b', 'measure', 'job-1', 'job-2'];
  let cancelled = 0;
  try {
    for (let i = 0; i < 200; i++) {
      const c = pick(conns);
      const op = r();
      if (op < 0.45) {
        const label = r() < 0.5 ? pick(LABELS) : undefined;
        const before = c.events.length;
        const reply = c.conn.handle('theory.run', { params: LONG, ...(label !== undefined ? { jobId: label } : {}) });
        await new Promise((res) => setImmediate(res));
        const ev = c.events.slice(before).find((e) => e.type === 'job.started') as Extract<LabEvent, { type: 'job.started' }> | undefined;
        if (!ev) {
          const rep = (await reply) as { ok: boolean; error?: { message: string } };
          assert.equal(rep.ok, false, 'a job that was not announced must have been refused');
          continue;
        }
        assert.equal(ev.label, label ?? null);
        const job: Job = { id: ev.jobId, label: ev.label, done: false, cancelled: false, reply };
        void reply.then(() => (job.done = true));
        c.jobs.push(job);
      } else if (op < 0.9) {
        // A key: one of this connection's, another connection's, or a guess.
        const other = pick(conns);
        const target = other.jobs.length ? pick(other.jobs) : undefined;
        const key = target && r() < 0.7 ? (r() < 0.5 || target.label === null ? target.id : target.label) : pick(LABELS);
        const rep = (await c.conn.handle('jobs.cancel', { jobId: key })) as { ok: boolean; result: { ok: boolean } };
        assert.equal(rep.ok, true);
        const mine = c.jobs.filter((j) => !j.done && (j.id === key || j.label === key));
        if (rep.result.ok) {
          assert.ok(mine.length > 0, `a cancel of '${key}' succeeded on a connection that has no such job`);
          mine.forEach((j) => (j.cancelled = true));
          cancelled++;
        } else assert.ok(mine.every((j) => j.cancelled || j.done), `a live job '${key}' of this connection was not cancelled`);
      } else {
        const open = c.jobs.filter((j) => !j.done);
        c.conn.close();
        // Every job of the closed connection answers (cancelled); the connection is replaced.
        await Promise.all(open.map((j) => j.reply));
        c.jobs = [];
        c.conn = service.connect((e) => c.events.push(e));
      }
    }
    const pending = conns.flatMap((c) => c.jobs.filter((j) => !j.done).map((j) => j.reply));
    for (const c of conns) c.conn.close();
    await Promise.all(pending);
    const fresh = service.connect();
    const quick = (await fresh.handle('theory.run', { preset: 'fig4a' })) as { ok: boolean };
    assert.equal(quick.ok, true, 'the worker is free once every connection closed');
  } finally {
    await service.close();
  }
  assert.ok(cancelled > 10, `the fuzz cancelled jobs (${cancelled})`);
});

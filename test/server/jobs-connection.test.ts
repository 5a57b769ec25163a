/**
 * Long jobs belong to the connection that started them (issue 21, item 7): a theory.run sent
 * without a jobId could not be cancelled and outlived its socket, holding the single worker for up
 * to its 5-minute timeout; and a jobId was global, so any client could cancel another's job by
 * guessing its label. Now the service makes each job's id (announced to its connection alone in a
 * `job.started` event), a caller's jobId is a label within its connection, jobs.cancel reaches only
 * the connection's own jobs, and closing the connection — a WebSocket, an HTTP request, an app
 * window — cancels them. Real LabService, real worker threads, a real `dplab serve`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { WS_PROTOCOL, WS_TOKEN_PREFIX, type LabEvent } from '../../src-main/contract/index.ts';
import { LabService, type ServiceReply } from '../../src-main/service/service.ts';
import { makeIpcHandler, SenderConnections } from '../../src-main/shell/ipc.ts';
import { bearer, startServe } from './helpers.ts';

/** A full-matrix flow of ~10^5 RK4 steps on 300×200 matrices: minutes of one core, within the step limit. */
const LONG = { kind: 'full-matrix', params: { n1: 300, n2: 200, t1: 1000, integrator: { method: 'rk4', dt: 0.01 } } };

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dplab-jobconn-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(r: ServiceReply): { code: string; message: string } {
  assert.equal(r.ok, false, `expected an error, got ${JSON.stringify(r).slice(0, 200)}`);
  return (r as { error: { code: string; message: string } }).error;
}

/** Resolves with the first event `pick` accepts, within 30 s. */
function waitEvent(events: LabEvent[], pick: (e: LabEvent) => boolean): Promise<LabEvent> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const iv = setInterval(() => {
      const e = events.find(pick);
      if (e) {
        clearInterval(iv);
        resolve(e);
      } else if (Date.now() - t0 > 30_000) {
        clearInterval(iv);
        reject(new Error('no such event in 30 s'));
      }
    }, 10);
  });
}

test('service: ids are made by the lab, labels are per connection, jobs.cancel reaches only its own connection, close cancels', async () => {
  const service = new LabService({ archivePath: join(dir, 'a.sqlite'), transport: 'http', jobs: { workers: 1, queueLimit: 4 } });
  try {
    const seenA: LabEvent[] = [];
    const seenB: LabEvent[] = [];
    const a = service.connect((e) => seenA.push(e));
    const b = service.connect((e) => seenB.push(e));
    const labelled = a.handle('theory.run', { params: LONG, jobId: 'x' });
    const started = (await waitEvent(seenA, (e) => e.type === 'job.started' && e.label === 'x')) as Extract<LabEvent, { type: 'job.started' }>;
    assert.match(started.jobId, /^job-\d+$/);
    assert.notEqual(started.jobId, 'x', 'the id is the lab’s, not the label');
    assert.equal(started.request, 'theory.run');
    assert.equal(seenB.length, 0, 'another connection hears nothing of it');
    // Connection B knows the label and the id, and still cannot touch A's job.
    assert.deepEqual(await b.handle('jobs.cancel', { jobId: 'x' }), { ok: true, result: { ok: false } });
    assert.deepEqual(await b.handle('jobs.cancel', { jobId: started.jobId }), { ok: true, result: { ok: false } });
    assert.deepEqual(await service.handle('jobs.cancel', { jobId: 'x' }), { ok: true, result: { ok: false } });
    // B may use the same label for its own job; A may not use it twice.
    const bJob = b.handle('theory.run', { params: LONG, jobId: 'x' });
    await waitEvent(seenB, (e) => e.type === 'job.started' && e.label === 'x');
    assert.match(errorOf(await a.handle('theory.run', { params: LONG, jobId: 'x' })).message, /a job labelled 'x' is already running on this connection/);
    // A job sent without a label is cancellable by the id it was given.
    const unlabelled = a.handle('theory.run', { params: LONG });
    const second = (await waitEvent(seenA, (e) => e.type === 'job.started' && e.label === null)) as Extract<LabEvent, { type: 'job.started' }>;
    assert.deepEqual(await a.handle('jobs.cancel', { jobId: second.jobId }), { ok: true, result: { ok: true } });
    assert.match(errorOf(await unlabelled).message, new RegExp(`theory\\.run: job ${second.jobId} was cancelled`));
    // Closing A cancels its remaining job, says how many, and refuses A's later requests; B's job runs on.
    assert.equal(a.close(), 1);
    assert.match(errorOf(await labelled).message, /theory\.run: job x was cancelled/);
    assert.match(errorOf(await a.handle('app.info', {})).message, /the connection is closed/);
    assert.deepEqual(await b.handle('jobs.cancel', { jobId: 'x' }), { ok: true, result: { ok: true } });
    assert.match(errorOf(await bJob).message, /job x was cancelled/);
  } finally {
    await service.close();
  }
});

test('IPC: each window has its own connection; closing one window cancels its jobs only', async () => {
  const service = new LabService({ archivePath: join(dir, 'ipc.sqlite'), transport: 'ipc', jobs: { workers: 1, queueLimit: 4 } });
  const sent = new Map<number, LabEvent[]>();
  const connections = new SenderConnections((id) => service.connect((e) => (sent.get(id) ?? sent.set(id, []).get(id)!).push(e)));
  const handler = makeIpcHandler(service, () => true, connections);
  const from = (id: number) => ({ sender: { id }, senderFrame: { url: 'app://lab/index.html' } });
  try {
    const one = handler(from(1), 'theory.run', { params: LONG, jobId: 'measure' });
    await waitEvent((sent.get(1) ?? sent.set(1, []).get(1)!), (e) => e.type === 'job.started');
    assert.deepEqual(await handler(from(2), 'jobs.cancel', { jobId: 'measure' }), { ok: true, result: { ok: false } });
    assert.equal(connections.close(2), 0);
    assert.equal(connections.close(1), 1, 'the closed window’s job is cancelled');
    assert.match(errorOf(await one).message, /job measure was cancelled/);
    // The window's next page gets a fresh connection.
    assert.equal((await handler(from(1), 'app.info', {})).ok, true);
  } finally {
    await service.close();
  }
});

test('dplab serve: a job outlives neither its WebSocket nor its HTTP request; the worker is free at once', async () => {
  const served = await startServe(['--archive', join(dir, 'serve.sqlite')], { DPLAB_DATA_DIR: join(dir, 'serve-data') });
  const wsUrl = new URL('/ws', served.url);
  wsUrl.protocol = 'ws:';
  const open = async () => {
    const ws = new WebSocket(wsUrl, [WS_PROTOCOL, `${WS_TOKEN_PREFIX}${served.token}`], { headers: { Origin: served.url.origin } });
    const messages: { id?: number; ok?: boolean; error?: { message: string }; event?: LabEvent }[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(String(d))));
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    const reply = async (id: number, ms: number) => {
      const t0 = Date.now();
      while (Date.now() - t0 < ms) {
        const m = messages.find((x) => x.id === id);
        if (m) return m;
        await new Promise((r) => setTimeout(r, 20));
      }
      return null;
    };
    return { ws, messages, reply };
  };
  try {
    // A job without a jobId on one socket; another socket cannot cancel it by the id it was given.
    const first = await open();
    first.ws.send(JSON.stringify({ id: 1, name: 'theory.run', args: { params: LONG } }));
    const t0 = Date.now();
    let started: Extract<LabEvent, { type: 'job.started' }> | undefined;
    while (!started && Date.now() - t0 < 30_000) {
      started = first.messages.map((m) => m.event).find((e): e is Extract<LabEvent, { type: 'job.started' }> => e?.type === 'job.started');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(started, 'the socket is told its job’s id');
    const other = await open();
    other.ws.send(JSON.stringify({ id: 2, name: 'jobs.cancel', args: { jobId: started.jobId } }));
    assert.deepEqual((await other.reply(2, 30_000)) as unknown, { id: 2, ok: true, result: { ok: false } });
    assert.ok(!other.messages.some((m) => m.event?.type === 'job.started'), 'the other socket hears nothing of it');
    // The first socket goes away: its job is cancelled, and a small job on the other socket gets the worker.
    await new Promise((r) => setTimeout(r, 1000));
    first.ws.close();
    other.ws.send(JSON.stringify({ id: 3, name: 'theory.run', args: { preset: 'fig4a' } }));
    const quick = await other.reply(3, 60_000);
    assert.ok(quick, 'the worker was still held by the closed socket’s job');
    assert.equal(quick.ok, true, JSON.stringify(quick).slice(0, 300));

    // The same over HTTP: a request whose client goes away cancels its job.
    const api = new URL('/api/request', served.url);
    const abort = new AbortController();
    const gone = fetch(api, { method: 'POST', signal: abort.signal, headers: { 'content-type': 'application/json', ...bearer(served.token) }, body: JSON.stringify({ id: 4, name: 'theory.run', args: { params: LONG } }) }).catch(() => null);
    await new Promise((r) => setTimeout(r, 1500));
    abort.abort();
    await gone;
    other.ws.send(JSON.stringify({ id: 5, name: 'theory.run', args: { preset: 'fig4b' } }));
    const after = await other.reply(5, 60_000);
    assert.ok(after, 'the worker was still held by the aborted request’s job');
    assert.equal(after.ok, true, JSON.stringify(after).slice(0, 300));
    other.ws.close();
  } finally {
    const code = await served.stop();
    assert.equal(code, 0, served.stderr());
  }
});

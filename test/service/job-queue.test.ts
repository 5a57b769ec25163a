/**
 * The service's one bounded job queue (service/queue.ts), on tasks the test finishes by hand: the
 * slot and waiting limits, refusals, cancel by id, timeouts, close, and that every task is stopped
 * exactly once before its result is delivered. The worker pool (jobs.test.ts) and the backends
 * probe (backends.test.ts) test the same queue through their real workers and children.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedQueue, type QueueStop, type QueueTask, type StoppedJob } from '../../src-main/service/queue.ts';

/** A task that records its life and finishes when the test says so. */
class HandTask implements QueueTask<string> {
  started = false;
  stops = 0;
  finish: ((r: string) => void) | null = null;
  constructor(readonly log: string[], readonly name: string) {}
  start(finish: (r: string) => void): void {
    this.started = true;
    this.finish = finish;
    this.log.push(`start ${this.name}`);
  }
  async stop(): Promise<void> {
    this.stops++;
    this.log.push(`stop ${this.name}`);
    await new Promise((r) => setTimeout(r, 5));
    this.log.push(`stopped ${this.name}`);
  }
}

const stopped = (reason: QueueStop, j: StoppedJob<HandTask>) => `${reason} ${j.label} (${j.running} running, ${j.waiting} waiting, limit ${j.queueLimit})`;

test('slots and waiting are bounded; a refusal, a cancel and a finish each stop the task once, before the result', async () => {
  const log: string[] = [];
  const q = new BoundedQueue<string, HandTask>({ slots: 1, queueLimit: 1, stopped });
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => new HandTask(log, n));
  const pa = q.run(a!, { id: 'a', label: 'job a', timeoutMs: 60_000 });
  const pb = q.run(b!, { id: 'b', label: 'job b', timeoutMs: 60_000 });
  assert.deepEqual(q.size, { running: 1, waiting: 1 });
  assert.equal(b!.started, false, 'one slot: b waits');
  assert.equal(await q.run(c!, { id: 'c', label: 'job c', timeoutMs: 60_000 }), 'busy job c (1 running, 1 waiting, limit 1)');
  assert.equal(c!.stops, 1, 'a refused task is stopped too');
  assert.equal(c!.started, false);
  assert.match(await q.run(d!, { id: 'a', label: 'job d', timeoutMs: 60_000 }), /^duplicate job d/);

  a!.finish!('a done');
  a!.finish!('a again');
  assert.equal(await pa, 'a done', 'the first finish wins');
  assert.ok(log.indexOf('stopped a') >= 0 && log.indexOf('start b') > log.indexOf('stop a'), log.join(', '));
  assert.equal(b!.started, true, 'the freed slot starts the next job');

  assert.equal(q.cancel('nope'), false);
  assert.equal(q.cancel('b'), true);
  assert.match(await pb, /^cancelled job b/);
  for (const t of [a, b, c, d]) assert.equal(t!.stops, 1, t!.name);
  assert.deepEqual(q.size, { running: 0, waiting: 0 });
});

test('a job past its timeout is stopped with the timeout result; a waiting job is not timed', async () => {
  const log: string[] = [];
  const q = new BoundedQueue<string, HandTask>({ slots: 1, queueLimit: 2, stopped });
  const slow = new HandTask(log, 'slow');
  const next = new HandTask(log, 'next');
  // The queue's timers are unref'd (a timeout must not hold a closing process open): keep this one alive.
  const alive = setInterval(() => undefined, 1000);
  const ps = q.run(slow, { id: null, label: 'slow', timeoutMs: 300 });
  const pn = q.run(next, { id: 'n', label: 'next', timeoutMs: 150 });
  assert.match(await ps, /^timeout slow/);
  assert.equal(slow.stops, 1);
  assert.equal(next.started, true, 'started only after slow ended; its clock starts then');
  next.finish!('next done');
  assert.equal(await pn, 'next done');
  clearInterval(alive);
});

test('close ends waiting and running jobs, resolves once they are stopped, and refuses new ones', async () => {
  const log: string[] = [];
  const q = new BoundedQueue<string, HandTask>({ slots: 2, queueLimit: 4, stopped });
  const tasks = ['r1', 'r2', 'w1'].map((n) => new HandTask(log, n));
  const ps = tasks.map((t) => q.run(t, { id: t.name, label: t.name, timeoutMs: 60_000 }));
  assert.deepEqual(q.size, { running: 2, waiting: 1 });
  await q.close();
  for (const n of ['r1', 'r2', 'w1']) assert.ok(log.includes(`stopped ${n}`), `${n} was stopped before close resolved`);
  assert.deepEqual(await Promise.all(ps.map((p) => p.then((r) => r.split(' ')[0]))), ['closed', 'closed', 'closed']);
  assert.equal(tasks[2]!.started, false, 'a waiting job never starts once the queue closes');
  const late = new HandTask(log, 'late');
  assert.match(await q.run(late, { id: null, label: 'late', timeoutMs: 1000 }), /^closed late/);
  assert.equal(late.started, false);
  assert.equal(q.closed, true);
});

import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openArchive } from '../../src-main/archive/archive.ts';
import { RunManager, type TrainerHandle } from '../../src-main/runs/manager.ts';
import type { FromTrainer } from '../../src-main/runs/protocol.ts';
import { parseSetup } from '../../src-main/common/setup.ts';

/** A trainer that speaks only when the test tells it to; records when it is killed. */
function scriptedTrainer() {
  let onMessage: (m: FromTrainer) => void = () => {};
  let onExit: (code: number | null, signal: string | null, tail: string) => void = () => {};
  const t = {
    killedAt: null as number | null,
    say: (m: FromTrainer) => onMessage(m),
    handle: {
      pid: 999_999,
      port: { send: async () => {}, onMessage: (h: (m: FromTrainer) => void) => (onMessage = h), onClose: () => {}, close: () => {} },
      kill: () => {
        if (t.killedAt !== null) return;
        t.killedAt = Date.now();
        setImmediate(() => onExit(null, 'SIGKILL', ''));
      },
      onExit: (h: typeof onExit) => (onExit = h),
    } as unknown as TrainerHandle,
  };
  return t;
}

/**
 * The manager's clock, set by the test: `at(ms)` moves it and resolves once the manager's periodic
 * check has read it twice (so at least one whole check ran at that time). No real time is judged:
 * the checks come every heartbeatMs of real time, but only the clock's value decides.
 */
function testClock() {
  let t = 0;
  let readers: (() => void)[] = [];
  return {
    now: () => {
      const r = readers;
      readers = [];
      for (const f of r) f();
      return t;
    },
    async at(ms: number) {
      t = ms;
      // Its checks come every 20 ms; 30 s without one means the manager does not read this clock.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the manager did not read the injected clock within 30 s (at ${ms} ms)`)), 30_000);
      });
      try {
        for (let i = 0; i < 2; i++) await Promise.race([new Promise<void>((r) => readers.push(r)), late]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

const progress = (step: number): FromTrainer => ({ type: 'events', events: [{ type: 'progress', step, totalSteps: 100, epoch: 0, etaSec: null }] }) as FromTrainer;

test('a trainer is judged stale against its own pace: long steps live, a silent trainer dies', async () => {
  const archive = openArchive(join(mkdtempSync(join(tmpdir(), 'dplab-stale-')), 'a.sqlite'), { create: true });
  const trainers: ReturnType<typeof scriptedTrainer>[] = [];
  const clock = testClock();
  const m = new RunManager(archive, {
    concurrency: 2,
    heartbeatMs: 20,
    staleMs: 100,
    now: clock.now,
    launch: () => {
      const t = scriptedTrainer();
      trainers.push(t);
      return t.handle;
    },
  });
  const setup = parseSetup({ data: { dataset: 'synthetic' } });
  m.submit(setup);
  m.submit(setup);
  await clock.at(0);
  const [slow, silent] = trainers;
  assert.ok(slow && silent);
  // Start-up and the first step get 10 × staleMs: both survive 400 ms of silence.
  await clock.at(400);
  assert.equal(slow.killedAt, null);
  assert.equal(silent.killedAt, null);
  // The slow trainer reports steps 450 ms apart, far beyond staleMs, and lives on.
  slow.say(progress(1));
  await clock.at(850);
  assert.equal(slow.killedAt, null, 'killed during step 2 though its pace is one step per 450 ms');
  slow.say(progress(2));
  // The silent one never reports a step: alive at exactly 10 × staleMs of silence, killed just past it.
  await clock.at(1000);
  assert.equal(silent.killedAt, null, 'killed before 10 × staleMs of silence');
  await clock.at(1001);
  assert.notEqual(silent.killedAt, null, 'alive past 10 × staleMs of silence without a step');
  for (const [step, t] of [[3, 1300], [4, 1750]] as const) {
    await clock.at(t);
    assert.equal(slow.killedAt, null, `killed during step ${step} though its pace is one step per 450 ms`);
    slow.say(progress(step));
  }
  // The slow one falls silent: alive up to 4 × its longest step (450 ms), killed just past it.
  await clock.at(1750 + 4 * 450);
  assert.equal(slow.killedAt, null, 'killed before 4 × its longest step of silence');
  await clock.at(1750 + 4 * 450 + 1);
  assert.notEqual(slow.killedAt, null, 'alive past 4 × its longest step of silence');
  await m.close();
  archive.close();
});

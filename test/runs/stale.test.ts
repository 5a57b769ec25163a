import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openArchive } from '../../src-main/archive/archive.ts';
import { RunManager, type TrainerHandle } from '../../src-main/runs/manager.ts';
import type { FromTrainer } from '../../src-main/runs/protocol.ts';
import { parseSetup } from '../../src-main/spec/setup.ts';

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const progress = (step: number): FromTrainer => ({ type: 'events', events: [{ type: 'progress', step, totalSteps: 100, epoch: 0, etaSec: null }] }) as FromTrainer;

test('a trainer is judged stale against its own pace: long steps live, a silent trainer dies', async () => {
  const archive = openArchive(join(mkdtempSync(join(tmpdir(), 'dplab-stale-')), 'a.sqlite'), { create: true });
  const trainers: ReturnType<typeof scriptedTrainer>[] = [];
  const m = new RunManager(archive, {
    concurrency: 2,
    heartbeatMs: 20,
    staleMs: 100,
    launch: () => {
      const t = scriptedTrainer();
      trainers.push(t);
      return t.handle;
    },
  });
  const setup = parseSetup({ data: { dataset: 'synthetic' } });
  m.submit(setup);
  m.submit(setup);
  await sleep(50);
  const [slow, silent] = trainers;
  assert.ok(slow && silent);
  // Start-up and the first step get 10 × staleMs: both survive 400 ms of silence.
  await sleep(400);
  assert.equal(slow.killedAt, null);
  assert.equal(silent.killedAt, null);
  // The slow trainer reports steps 450 ms apart, far beyond staleMs, and lives on.
  slow.say(progress(1));
  for (let step = 2; step <= 4; step++) {
    await sleep(450);
    assert.equal(slow.killedAt, null, `killed during step ${step} though its pace is one step per 450 ms`);
    slow.say(progress(step));
  }
  // The silent one never reports a step: killed once 10 × staleMs has passed.
  await sleep(400);
  assert.notEqual(silent.killedAt, null);
  // The slow one falls silent for far longer than 4 × its longest step: killed too.
  await sleep(2600);
  assert.notEqual(slow.killedAt, null);
  await m.close();
  archive.close();
});

// The event batcher bounds what a kill -9 loses: a batch never waits past `ms` through a step.
import test from 'node:test';
import assert from 'node:assert/strict';
import { EventBatcher } from '../../src-main/runs/batcher.ts';
import type { TrainerEvent } from '../../src-main/common/events.ts';

const scalars = (step: number): TrainerEvent => ({ type: 'scalars', step, epoch: 0, values: { loss: 1 } });
const progress = (step: number): TrainerEvent => ({ type: 'progress', step, totalSteps: 100, epoch: 0, etaSec: null });

test('slow steps: each step goes out as it ends; fast steps: batched until 250 ms', () => {
  let t = 0;
  const sent: number[][] = [];
  const b = new EventBatcher((events) => sent.push(events.map((e) => (e as { step: number }).step)), 250, 1000, () => t);
  // Everything below runs synchronously, as training steps do: no timer can fire in between.
  b.push(scalars(1));
  b.push(progress(1));
  assert.deepEqual(sent, [], 'a first step is batched');
  t = 300; // a 300 ms step
  b.push(scalars(2));
  b.push(progress(2));
  assert.deepEqual(sent, [[1, 1, 2, 2]], 'the batch went out before the next slow step, not after it');
  t = 600;
  b.push(scalars(3));
  b.push(progress(3));
  assert.deepEqual(sent.at(-1), [3, 3], 'with slow steps every step is sent as it ends');
  // Fast steps (10 ms): batched until the batch would be 250 ms old by the end of the next step.
  const before = sent.length;
  for (let s = 4; s < 28; s++) {
    t += 10;
    b.push(scalars(s));
    b.push(progress(s));
  }
  assert.ok(sent.length - before <= 1, `fast steps go out in batches (${sent.length - before} sent)`);
  const waiting = 24 * 2 - sent.slice(before).flat().length;
  assert.ok(waiting > 0 && waiting <= 2 * 25, `${waiting} events wait for the timer or the next batch`);
  b.flush();
  assert.deepEqual(sent.flat().filter((_, i) => i % 2 === 1), Array.from({ length: 27 }, (_, i) => i + 1), 'every step sent once, in order');
});

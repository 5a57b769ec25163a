/**
 * Entry module of a trainer process (forked by the run manager; later an Electron utilityProcess).
 * Waits for one 'start' message, trains, and streams events to the manager in batches; each
 * checkpoint is sent after the events before it and training waits until the manager has stored it,
 * so the archive never holds a checkpoint ahead of its metrics. Exits when its parent goes away.
 */
import { parentPort } from './port.ts';
import { EventBatcher } from './batcher.ts';
import type { FromTrainer, ToTrainer } from './protocol.ts';

const port = parentPort<ToTrainer, FromTrainer>();
const controller = new AbortController();
const acks = new Map<number, () => void>();
let started = false;

// An orphaned trainer must not keep running: its results would have nowhere to go.
port.onClose(() => process.exit(3));

port.onMessage((msg) => {
  if (msg.type === 'cancel') controller.abort();
  else if (msg.type === 'checkpoint-saved') {
    acks.get(msg.step)?.();
    acks.delete(msg.step);
  } else if (msg.type === 'start' && !started) {
    started = true;
    run(msg).then(
      () => process.exit(0),
      async (e: unknown) => {
        await port.send({ type: 'error', message: (e as Error)?.message ?? String(e) }).catch(() => {});
        process.exit(1);
      },
    );
  }
});

async function run(msg: Extract<ToTrainer, { type: 'start' }>): Promise<void> {
  const [{ train, decodeCheckpoint, encodeCheckpoint }, { parseSetup }] = await Promise.all([import('../engine/trainer.ts'), import('../spec/setup.ts')]);
  const setup = parseSetup(msg.setup);
  // IPC keeps order, so waiting for the newest send means every earlier batch went out too.
  let lastSend: Promise<void> = Promise.resolve();
  const batcher = new EventBatcher((events) => (lastSend = port.send({ type: 'events', events })), msg.batchMs, msg.batchMax);
  const beat = setInterval(() => void port.send({ type: 'heartbeat', at: Date.now() }).catch(() => {}), msg.heartbeatMs);
  try {
    const summary = await train(setup, {
      backend: msg.backend,
      signal: controller.signal,
      checkpointEvery: msg.checkpointEvery,
      resumeFrom: msg.resumeFrom ? decodeCheckpoint(msg.resumeFrom) : undefined,
      onEvent: (e) => batcher.push(e),
      onCheckpoint: async (c) => {
        batcher.flush();
        const saved = new Promise<void>((resolve) => acks.set(c.step, resolve));
        await port.send({ type: 'checkpoint', step: c.step, data: encodeCheckpoint(c) });
        await saved;
      },
    });
    batcher.flush();
    await lastSend;
    await port.send({ type: 'done', summary });
  } finally {
    clearInterval(beat);
  }
}

/**
 * One training served over a port: waits for a 'start' message, trains, streams events to the
 * manager in batches; each checkpoint is sent after the events before it and training waits until
 * the manager has stored it, so the archive never holds a checkpoint ahead of its metrics. The
 * trainer process (trainer-process.ts) and the in-process trainer of `dplab run` both use it, so a
 * run has one lifecycle whichever way it trains.
 */
import { EventBatcher } from './batcher.ts';
import type { Port } from './port.ts';
import type { FromTrainer, ToTrainer } from './protocol.ts';
import type { TrainerHandle } from './manager.ts';

/** Serves one training on `port`; calls `exit` once it is over (0: done, 1: failed with `error`). */
export function serveTrainer(port: Port<ToTrainer, FromTrainer>, exit: (code: number, error?: unknown) => void): void {
  const controller = new AbortController();
  const acks = new Map<number, () => void>();
  let started = false;
  port.onMessage((msg) => {
    if (msg.type === 'cancel') controller.abort();
    else if (msg.type === 'checkpoint-saved') {
      acks.get(msg.step)?.();
      acks.delete(msg.step);
    } else if (msg.type === 'start' && !started) {
      started = true;
      train(port, msg, controller.signal, acks).then(
        () => exit(0),
        async (e: unknown) => {
          await port.send({ type: 'error', message: (e as Error)?.message ?? String(e) }).catch(() => {});
          exit(1, e);
        },
      );
    }
  });
}

async function train(port: Port<ToTrainer, FromTrainer>, msg: Extract<ToTrainer, { type: 'start' }>, signal: AbortSignal, acks: Map<number, () => void>): Promise<void> {
  const [{ train, decodeCheckpoint, encodeCheckpoint }, { parseSetup }] = await Promise.all([import('../engine/trainer.ts'), import('../common/setup.ts')]);
  // The run's setup as archived: it was validated when it was accepted, by the rules of that lab.
  const setup = parseSetup(msg.setup, { stored: true });
  // Ports keep order, so waiting for the newest send means every earlier batch went out too.
  let lastSend: Promise<void> = Promise.resolve();
  const batcher = new EventBatcher((events) => (lastSend = port.send({ type: 'events', events })), msg.batchMs, msg.batchMax);
  const beat = setInterval(() => void port.send({ type: 'heartbeat', at: Date.now() }).catch(() => {}), msg.heartbeatMs);
  try {
    const summary = await train(setup, {
      backend: msg.backend,
      threads: msg.threads,
      signal,
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

/** A trainer handle for a training in this process, with the error it failed with (if any). */
export interface InProcessTrainer extends TrainerHandle {
  /** The error the training threw (kept as thrown, e.g. a DatasetError), once it has ended. */
  readonly error: unknown;
}

/**
 * Launches the training in this process (what `dplab run` uses: one process, progress on its own
 * terminal) behind the same port protocol as a trainer process. Messages are delivered on later
 * turns of the event loop, in order, as IPC would; `kill` can only ask the training to stop after
 * its current step.
 */
export function inProcessTrainer(): InProcessTrainer {
  const toManager: ((m: FromTrainer) => void)[] = [];
  const toTrainer: ((m: ToTrainer) => void)[] = [];
  const exitHandlers: ((code: number | null, signal: string | null, tail: string) => void)[] = [];
  let ended = false;
  let error: unknown;
  let killedBy: string | null = null;
  // One FIFO for both directions and the exit, so the exit is seen after the last message.
  const deliver = (f: () => void) => setImmediate(f);
  const trainerPort: Port<ToTrainer, FromTrainer> = {
    send: async (msg) => {
      if (ended) throw new Error('the run manager is gone');
      deliver(() => toManager.forEach((h) => h(msg)));
    },
    onMessage: (h) => toTrainer.push(h),
    onClose: () => {},
    close: () => {},
  };
  serveTrainer(trainerPort, (code, e) => {
    error = e;
    deliver(() => {
      ended = true;
      for (const h of exitHandlers) h(killedBy ? null : code, killedBy, e ? String((e as Error)?.stack ?? e) : '');
    });
  });
  return {
    pid: process.pid,
    get error() {
      return error;
    },
    port: {
      send: async (msg) => {
        if (ended) throw new Error('the training has ended');
        deliver(() => toTrainer.forEach((h) => h(msg)));
      },
      onMessage: (h) => toManager.push(h),
      onClose: () => {},
      close: () => {},
    },
    kill: (signal = 'SIGTERM') => {
      if (ended) return;
      killedBy ??= signal;
      deliver(() => toTrainer.forEach((h) => h({ type: 'cancel' })));
    },
    onExit: (h) => {
      exitHandlers.push(h);
    },
  };
}

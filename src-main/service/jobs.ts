/**
 * The service's long jobs (theory simulations, dataset imports) run in a fresh worker thread each,
 * so a collapse diagram or a CIFAR import never blocks the main process. The worker is
 * jobs-worker.mjs (which loads jobs-worker.ts through tsx), or the bundled jobs-worker.cjs under
 * Electron.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { PRESETS } from '../theory/presets.ts';
import type { ImportOptions } from '../data/cache.ts';

/** The theory presets as the contract lists them. */
export function theoryPresets(): { name: string; description: string; figure: string }[] {
  return Object.values(PRESETS).map((p) => ({ name: p.name, description: p.description, figure: p.figure }));
}

/** A job for the worker. */
export type WorkerJob =
  | { kind: 'theory'; preset?: string; params?: Record<string, unknown> }
  | { kind: 'datasets.import'; path: string; options: ImportOptions };

/** What a worker answers: the result, or an error with whether the input was at fault. */
export type WorkerReply = { ok: true; result: unknown } | { ok: false; message: string; badInput: boolean };

const DEFAULT_WORKER = fileURLToPath(new URL('./jobs-worker.mjs', import.meta.url));

/** Runs one job in a fresh worker thread. */
export function runInWorker(job: WorkerJob, workerFile: string = DEFAULT_WORKER): Promise<WorkerReply> {
  return new Promise((resolve) => {
    const w = new Worker(workerFile, { workerData: job });
    let settled = false;
    const done = (r: WorkerReply) => {
      if (settled) return;
      settled = true;
      resolve(r);
      void w.terminate();
    };
    w.once('message', (m: WorkerReply) => done(m));
    w.once('error', (e) => done({ ok: false, message: e.message, badInput: false }));
    w.once('exit', (code) => done({ ok: false, message: `the worker ended (code ${code}) without a result`, badInput: false }));
  });
}

/**
 * theory.* requests: the presets list, and simulations run in a worker thread so a long collapse
 * diagram never blocks the main process (Electron's main thread or the web server). The worker is
 * theory-worker.mjs (which loads theory-worker.ts through tsx), or the bundled theory-worker.cjs under Electron.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { PRESETS } from '../theory/presets.ts';

/** The presets as the contract lists them. */
export function theoryPresets(): { name: string; description: string; figure: string }[] {
  return Object.values(PRESETS).map((p) => ({ name: p.name, description: p.description, figure: p.figure }));
}

/** What a worker answers: the result, or an error with whether it was the parameters' fault. */
export type TheoryWorkerReply = { ok: true; result: unknown } | { ok: false; message: string; badParams: boolean };

const DEFAULT_WORKER = fileURLToPath(new URL('./theory-worker.mjs', import.meta.url));

/** Runs a preset or a {kind, params} document in a fresh worker thread. */
export function runTheoryInWorker(job: { preset?: string; params?: Record<string, unknown> }, workerFile: string = DEFAULT_WORKER): Promise<TheoryWorkerReply> {
  return new Promise((resolve) => {
    const w = new Worker(workerFile, { workerData: job });
    let settled = false;
    const done = (r: TheoryWorkerReply) => {
      if (settled) return;
      settled = true;
      resolve(r);
      void w.terminate();
    };
    w.once('message', (m: TheoryWorkerReply) => done(m));
    w.once('error', (e) => done({ ok: false, message: e.message, badParams: false }));
    w.once('exit', (code) => done({ ok: false, message: `the theory worker ended (code ${code}) without a result`, badParams: false }));
  });
}

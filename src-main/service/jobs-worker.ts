/**
 * Worker-thread entry for the service's long jobs (theory simulations, the theory claims, dataset
 * and archive imports, archive integrity checks), so they never block the main process (Electron's
 * main thread or the web server). Posts the plain JSON result, or the error flagged when the
 * caller's input was at fault.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerJob } from './jobs.ts';

async function run(job: WorkerJob): Promise<unknown> {
  if (job.kind === 'datasets.import') {
    const { importDataset } = await import('../data/cache.ts');
    const meta = await importDataset(job.path, job.options);
    return { name: meta.name, hash: meta.hash };
  }
  if (job.kind === 'archive.check') {
    const { integrityCheckFile } = await import('../archive/archive.ts');
    return integrityCheckFile(job.file);
  }
  if (job.kind === 'archive.import') {
    const { openArchive } = await import('../archive/archive.ts');
    const { importArchive } = await import('../archive/merge.ts');
    const target = openArchive(job.target, { create: false });
    try {
      return importArchive(target, job.source);
    } finally {
      target.close();
    }
  }
  if (job.kind === 'reproduce.theory') {
    const { CLAIMS } = await import('../reproduce/claims.ts');
    const { evaluateTheory } = await import('../reproduce/verdict.ts');
    return CLAIMS.filter((c) => c.kind === 'theory').map((c) => evaluateTheory(c));
  }
  const { runPreset, runSimulation } = await import('../theory/presets.ts');
  const { TheoryParamsError } = await import('../theory/params.ts');
  if (job.preset !== undefined) return runPreset(job.preset);
  const d = job.params ?? {};
  if (typeof d.preset === 'string') return runPreset(d.preset);
  if (typeof d.kind !== 'string') throw new TheoryParamsError('theory.run: give a preset name, or params {kind, params} (or {preset})');
  return { name: d.kind, figure: '', description: `${d.kind} simulation`, runs: [{ label: d.kind, output: runSimulation({ kind: d.kind as never, params: d.params ?? {} }) }] };
}

run(workerData as WorkerJob).then(
  (result) => parentPort!.postMessage({ ok: true, result }),
  (e: unknown) => parentPort!.postMessage({ ok: false, message: (e as Error)?.message ?? String(e), badInput: (e as Error)?.name === 'TheoryParamsError' || e?.constructor?.name === 'TheoryParamsError' }),
);

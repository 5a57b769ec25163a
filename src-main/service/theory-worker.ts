/**
 * Worker-thread entry of theory.run: runs one preset or {kind, params} document and posts the plain
 * JSON result (or the error, flagged when the parameters were at fault).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runPreset, runSimulation } from '../theory/presets.ts';
import { TheoryParamsError } from '../theory/params.ts';

const job = workerData as { preset?: string; params?: Record<string, unknown> };
try {
  let result: unknown;
  if (job.preset !== undefined) result = runPreset(job.preset);
  else {
    const d = job.params ?? {};
    if (typeof d.preset === 'string') result = runPreset(d.preset);
    else if (typeof d.kind !== 'string') throw new TheoryParamsError('theory.run: give a preset name, or params {kind, params} (or {preset})');
    else result = { name: d.kind, figure: '', description: `${d.kind} simulation`, runs: [{ label: d.kind, output: runSimulation({ kind: d.kind as never, params: d.params ?? {} }) }] };
  }
  parentPort!.postMessage({ ok: true, result });
} catch (e) {
  parentPort!.postMessage({ ok: false, message: (e as Error)?.message ?? String(e), badParams: e instanceof TheoryParamsError });
}

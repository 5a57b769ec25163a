/**
 * What the service judges of this machine before it starts anything: the backend runs will train on,
 * and whether a setup fits its memory (the preflight every request that starts runs shares).
 */
import type { GpuAdapterInfo, BackendKind } from '../common/backends.ts';
import type { Setup } from '../common/setup.ts';
import { likelyBackend } from '../runs/backend-probe.ts';
import { setupFootprintProblems } from '../runs/footprint.ts';
import { ServiceError, type ServiceContext } from './context.ts';

/**
 * The backend runs train on, for the status bar: with `auto`, the pick of the session's
 * `dplab backends` report once backends.list has made one (it tried each backend; the installed
 * packages alone cannot tell whether a GPU adapter is there), else a guess from the packages.
 */
export function backendNow(ctx: ServiceContext): { backend: string; backendPreference: string; adapter: GpuAdapterInfo | null } {
  const pref = ctx.opts.backend ?? 'auto';
  const report = ctx.backends.cached?.report;
  const backend = pref === 'auto' && report ? report.auto : likelyBackend(pref);
  const adapter = backend === 'webgpu' ? (report?.backends.find((b) => b.kind === 'webgpu')?.adapter ?? null) : null;
  return { backend, backendPreference: pref, adapter };
}

/**
 * The memory preflight of `dplab run`, for every run a request would start (one run, or each
 * member of a sweep): a setup whose training step or dataset cannot fit in the memory of the
 * backend the trainers will use is refused before any run row exists, naming the member, the
 * field, the estimate and the limit, so a hostile or mistaken request cannot make a trainer
 * allocate until it dies or the machine swaps.
 */
export function refuseUnfit(ctx: ServiceContext, members: { setup: Setup; combo?: Record<string, unknown> }[]): void {
  const backend = backendNow(ctx).backend as BackendKind;
  const problems: string[] = [];
  for (const m of members) {
    const p = setupFootprintProblems(m.setup, backend, ctx.opts.dataDir);
    if (!p.length) continue;
    const who = m.combo ? `sweep member ${JSON.stringify(m.combo)}: ` : '';
    problems.push(...p.map((i) => `${who}${i.path}: ${i.message}`));
  }
  if (problems.length) {
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
    throw new ServiceError('invalid-args', `this machine cannot run the setup; nothing was started: ${problems.slice(0, 5).join('; ')}${more}`);
  }
}

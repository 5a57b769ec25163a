/** The theory simulator: its presets, and a run of the linear-network dynamics (in the job pool). */
import { ServiceError, jobResult, type Area, type Handlers, type ServiceContext } from '../context.ts';

/** The handlers of theory.*. */
export function theoryHandlers(ctx: ServiceContext): Handlers<Area<'theory'>> {
  return {
    'theory.presets': async () => (await import('../jobs.ts')).theoryPresets(),
    'theory.run': async (a, conn) => {
      if (a.preset === undefined && a.params === undefined) throw new ServiceError('invalid-args', 'theory.run needs a preset name or params {kind, params}');
      const job = { kind: 'theory' as const, ...(a.preset !== undefined ? { preset: a.preset } : {}), ...(a.params !== undefined ? { params: a.params } : {}) };
      const timeoutMs = ctx.opts.jobs?.theoryTimeoutMs ?? 5 * 60_000;
      const r = await ctx.ownedJob(conn, 'theory.run', a.jobId, (id) => ctx.jobs.run(job, { id, label: a.jobId ?? id, timeoutMs }), (id) => ctx.jobs.cancel(id));
      return jobResult('theory.run', r);
    },
  };
}

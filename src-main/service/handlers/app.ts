/** The lab as a whole: app.info, the setup's schema and presets, the backends report, and cancelling a connection's jobs. */
import { CONTRACT_VERSION } from '../../contract/index.ts';
import { checkSetup, defaultSetup } from '../../common/setup.ts';
import { SETUP_PRESETS } from '../../common/presets.ts';
import { APP_VERSION } from '../../common/version.ts';
import { ServiceError, type Area, type Handlers, type ServiceContext } from '../context.ts';
import { backendNow } from '../preflight.ts';

/** The handlers of app.*, setup.*, presets.*, jobs.* and backends.*. */
export function appHandlers(ctx: ServiceContext): Handlers<Area<'app' | 'setup' | 'presets' | 'jobs' | 'backends'>> {
  return {
    'app.info': () => ({
      contractVersion: CONTRACT_VERSION,
      appVersion: APP_VERSION,
      archive: ctx.archive.file,
      transport: ctx.opts.transport,
      ...backendNow(ctx),
      queue: ctx.queueState(),
    }),
    'setup.validate': (a) => checkSetup(a.setup),
    'setup.defaults': () => defaultSetup(),
    'presets.list': () => SETUP_PRESETS,
    'jobs.cancel': (a, conn) => {
      // Only this connection's jobs, by the lab's id or the caller's label.
      for (const [id, j] of conn.jobs) if (id === a.jobId || j.label === a.jobId) return { ok: j.cancel() };
      return { ok: false };
    },
    'backends.list': async (a, conn) => {
      const list = (id?: string) =>
        ctx.backends.list({ measure: a.measure, refresh: a.refresh, ...(id !== undefined ? { jobId: id, label: a.jobId ?? id } : {}) }).catch((e: unknown) => {
          throw new ServiceError('failed', `backends.list: ${(e as Error).message}`);
        });
      // The quick report is one child shared by every caller (then cached): nobody's own job.
      if (!a.measure && !a.refresh && a.jobId === undefined) return list();
      return ctx.ownedJob(conn, 'backends.list', a.jobId, (id) => list(id), (id) => ctx.backends.cancel(id));
    },
  };
}

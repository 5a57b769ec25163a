/** The archive file itself: its facts and integrity, opening another one, importing one into it. */
import { openArchive } from '../../archive/archive.ts';
import { ServiceError, jobResult, type Area, type Handlers, type ServiceContext } from '../context.ts';
import { fileSize, requestPath } from '../paths.ts';

/** The handlers of archive.*. */
export function archiveHandlers(ctx: ServiceContext): Handlers<Area<'archive'>> {
  return {
    'archive.info': async (a, conn) => {
      const file = ctx.archive.file;
      const info = { path: file, schemaVersion: ctx.archive.schemaVersion, sizeBytes: fileSize(file), runs: ctx.archive.counts().runs ?? 0 };
      if (!a.check) return { ...info, integrity: null };
      // The full check reads every page (minutes for a large archive): in the job pool, on a database connection of its own.
      const job = { kind: 'archive.check' as const, file };
      const timeoutMs = ctx.opts.jobs?.archiveTimeoutMs ?? 60 * 60_000;
      const r = await ctx.ownedJob(conn, 'archive.info', a.jobId, (id) => ctx.jobs.run(job, { id, label: a.jobId ?? id, timeoutMs }), (id) => ctx.jobs.cancel(id));
      return { ...info, integrity: jobResult('archive.info', r) as string[] };
    },
    'archive.open': async (a) => {
      if (ctx.manager.running.length || ctx.manager.queued.length) {
        throw new ServiceError('failed', `runs are training in ${ctx.archive.file}; cancel them or wait before opening another archive`);
      }
      requestPath(a.path, 'archive', { mayCreate: true });
      const next = openArchive(a.path); // throws (foreign, newer, damaged) before anything changes
      await ctx.replaceArchive(next);
      ctx.emit({ type: 'archive.changed', path: next.file });
      ctx.emit({ type: 'queue', ...ctx.queueState() });
      ctx.wakeFollow();
      return { path: next.file };
    },
    'archive.import': async (a, conn) => {
      if (ctx.archive.readonly) throw new ServiceError('failed', `archive.import: ${ctx.archive.file} is open read-only; cannot import into it`);
      // Checking the source and copying its runs take as long as the source is large: in the job
      // pool, on a database connection of its own (short transactions of whole runs, so the run
      // manager's writes are not held up; a stopped import keeps whole runs only).
      const job = { kind: 'archive.import' as const, target: ctx.archive.file, source: requestPath(a.path, 'archive', { mayCreate: false }) };
      const timeoutMs = ctx.opts.jobs?.archiveTimeoutMs ?? 60 * 60_000;
      const r = await ctx.ownedJob(conn, 'archive.import', a.jobId, (id) => ctx.jobs.run(job, { id, label: a.jobId ?? id, timeoutMs }), (id) => ctx.jobs.cancel(id));
      const { runsAdded, runsSkipped } = jobResult('archive.import', r) as { runsAdded: number; runsSkipped: number };
      if (runsAdded) ctx.emit({ type: 'archive.changed', path: ctx.archive.file });
      return { added: runsAdded, skipped: runsSkipped };
    },
  };
}

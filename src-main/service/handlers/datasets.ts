/** The dataset cache: what is imported, and importing a folder or file (in the job pool). */
import type { Results } from '../../contract/index.ts';
import { jobResult, type Area, type Handlers, type ServiceContext } from '../context.ts';
import { requestPath } from '../paths.ts';

/** The handlers of datasets.*. */
export function datasetsHandlers(ctx: ServiceContext): Handlers<Area<'datasets'>> {
  /** Imports started, for their temporary folders' unique stamps. */
  let importSeq = 0;
  return {
    'datasets.list': async () => {
      const { listDatasets } = await import('../../data/cache.ts');
      const out: Results['datasets.list'] = [];
      for (const d of listDatasets(ctx.opts.dataDir)) {
        if (!d.meta) continue;
        const m = d.meta;
        out.push({ name: m.name, format: m.format, height: m.height, width: m.width, channels: m.channels, counts: m.counts as Record<string, number>, classes: m.classNames.length, hash: m.hash });
      }
      return out;
    },
    'datasets.import': async (a, conn) => {
      // A stamp of our own names the import's temporary folder, so that when the worker is
      // terminated mid-write (cancel, timeout, close) or dies, the folder it left is removed.
      const stamp = `${Date.now()}${String(++importSeq).padStart(6, '0')}`;
      const options = {
        ...(a.format !== undefined ? { format: a.format } : {}),
        ...(a.name !== undefined ? { name: a.name } : {}),
        ...(ctx.opts.dataDir !== undefined ? { cacheDir: ctx.opts.dataDir } : {}),
        limits: { ...(a.maxImagePixels !== undefined ? { maxImagePixels: a.maxImagePixels } : {}), ...(a.maxDatasetBytes !== undefined ? { maxDatasetBytes: a.maxDatasetBytes } : {}) },
        stamp,
      };
      const job = { kind: 'datasets.import' as const, path: requestPath(a.path, 'dataset', { mayCreate: false }), options };
      const timeoutMs = ctx.opts.jobs?.importTimeoutMs ?? 60 * 60_000;
      const r = await ctx.ownedJob(conn, 'datasets.import', a.jobId, (id) => ctx.jobs.run(job, { id, label: a.jobId ?? id, timeoutMs }), (id) => ctx.jobs.cancel(id));
      if (!r.ok) (await import('../../data/cache.ts')).removeImportTemp(stamp, ctx.opts.dataDir);
      return jobResult('datasets.import', r) as Results['datasets.import'];
    },
  };
}

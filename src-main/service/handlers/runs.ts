/** Runs: starting, stopping, resuming and deleting them, reading what they recorded, and exporting them (one reply or a stream). */
import { validateRequest, type ParsedArgs, type Series } from '../../contract/index.ts';
import type { RunRecord } from '../../archive/archive.ts';
import { checkSetup } from '../../common/setup.ts';
import { ServiceError, type Area, type Handlers, type ServiceContext } from '../context.ts';
import { refuseUnfit } from '../preflight.ts';
import { toRow } from '../rows.ts';

/** The handlers of runs.*. */
export function runsHandlers(ctx: ServiceContext): Handlers<Area<'runs'>> {
  return {
    'runs.start': (a) => {
      const c = checkSetup(a.setup);
      if (!c.ok) {
        throw new ServiceError('invalid-args', `invalid setup: ${c.issues.map((i) => `${i.path || '(setup)'}: ${i.message}`).join('; ')}`);
      }
      refuseUnfit(ctx, [{ setup: c.setup }]);
      return { runId: ctx.manager.submit(c.setup, a.name !== undefined ? { name: a.name } : {}) };
    },
    'runs.cancel': (a) => {
      runOf(ctx, a.runId);
      return { ok: ctx.manager.cancel(a.runId) };
    },
    'runs.resume': (a) => {
      const r = runOf(ctx, a.runId);
      // A run archived elsewhere (a bigger machine, an imported archive) is checked like a new one.
      const stored = checkSetup(r.setup, { stored: true });
      if (stored.ok) refuseUnfit(ctx, [{ setup: stored.setup }]);
      // The run continues from its newest checkpoint: say which, so a rewind is never silent.
      const fromStep = ctx.archive.listCheckpoints(a.runId).reduce((m, c) => Math.max(m, c.step), 0);
      ctx.manager.resume(a.runId);
      return { ok: true, fromStep, lastStep: r.lastStep };
    },
    'runs.delete': (a) => {
      runOf(ctx, a.runId);
      let ok: boolean;
      try {
        ok = ctx.manager.delete(a.runId);
      } catch (e) {
        throw new ServiceError('failed', (e as Error).message);
      }
      if (ok) ctx.emit({ type: 'archive.changed', path: ctx.archive.file });
      return { ok };
    },
    'runs.list': (a) => {
      const sweeps = ctx.archive.sweepMemberships();
      return ctx.archive
        .listRuns({
          ...(a.status ? { status: a.status } : {}),
          ...(a.tag !== undefined ? { tag: a.tag } : {}),
          ...(a.sweepId !== undefined ? { sweep: a.sweepId } : {}),
          ...(a.limit !== undefined ? { limit: a.limit } : {}),
        })
        .map((r) => toRow(r, sweeps.get(r.uuid) ?? null));
    },
    'runs.get': (a) => {
      const r = runOf(ctx, a.runId);
      return { ...toRow(r, ctx.archive.sweepMemberships([r.uuid]).get(r.uuid) ?? null), note: ctx.archive.getNote(r.uuid), versions: r.versions, host: r.host, checkpoints: ctx.archive.listCheckpoints(r.uuid).length };
    },
    'runs.metrics': (a): Series[] => {
      runOf(ctx, a.runId);
      return ctx.archive.getMetrics(a.runId, a.names);
    },
    'runs.spectra': (a) => {
      runOf(ctx, a.runId);
      return ctx.archive.getSpectra(a.runId);
    },
    'runs.evals': (a) => {
      runOf(ctx, a.runId);
      return ctx.archive.getEvals(a.runId);
    },
    'runs.projections': (a) => {
      runOf(ctx, a.runId);
      const steps = ctx.archive.projectionSteps(a.runId);
      const want = a.steps ?? (a.ends ? [...new Set([steps[0], steps[steps.length - 1]])].filter((s): s is number => s !== undefined) : undefined);
      return { steps, projections: ctx.archive.getProjections(a.runId, want) };
    },
    'runs.tag': (a) => {
      runOf(ctx, a.runId);
      ctx.archive.addTags(a.runId, a.add);
      ctx.archive.removeTags(a.runId, a.remove);
      return { tags: runOf(ctx, a.runId).tags };
    },
    'runs.note': (a) => {
      runOf(ctx, a.runId);
      ctx.archive.setNote(a.runId, a.markdown);
      return { ok: true as const };
    },
    'runs.export': async (a, conn) => {
      // One reply is one string: assembled from the streamed chunks up to a limit, beyond which
      // the caller is told to use the streamed export (which has no limit and bounded memory).
      // The chunks are read in slices of a few ms with a loop turn between, so other requests,
      // heartbeats and trainer events are served while a large reply is put together; a caller
      // that went away (closed socket or window) stops it.
      const ex = await exportStream(ctx, a);
      const limit = ctx.opts.exportReplyLimit ?? 16 * 1024 * 1024;
      const parts: string[] = [];
      let size = 0;
      let slice = performance.now();
      for (const c of ex.chunks) {
        if (ctx.closed) throw new ServiceError('failed', 'runs.export: the lab is shutting down');
        if (!conn.isOpen) throw new ServiceError('failed', 'runs.export: the connection closed; the export was stopped');
        if (performance.now() - slice > SLICE_MS) {
          await loopTurn();
          slice = performance.now();
        }
        size += c.length;
        if (size > limit) {
          throw new ServiceError(
            'failed',
            `runs.export: the export of ${a.runIds.length} runs is larger than ${Math.round(limit / 1048576)} MiB, too large for one reply; use the streamed export (the browser's download, the app's File › Export All Runs…, or dplab runs export --out FILE)`,
          );
        }
        parts.push(c);
      }
      return { filename: ex.filename, mime: ex.mime, content: parts.join('') };
    },
  };
}

/** The run `runId` of the archive in use; else not-found naming it and the archive. */
export function runOf(ctx: ServiceContext, runId: string): RunRecord {
  const r = ctx.archive.getRun(runId);
  if (!r) throw new ServiceError('not-found', `no run ${runId} in ${ctx.archive.file}`);
  return r;
}

/**
 * The export of runs as a lazy stream of text chunks (one run per chunk), validated like the
 * runs.export request: the HTTP download and the desktop's "Export All Runs…" write it chunk by
 * chunk, so memory stays that of one run however many are exported. The ids are checked in
 * batches with a loop turn between them, so an unknown id is still refused before the first
 * byte while 10,000 of them never hold the loop at once.
 */
export async function exportStream(ctx: ServiceContext, rawArgs: unknown): Promise<{ filename: string; mime: string; runs: number; chunks: Iterable<string> }> {
  const v = validateRequest('runs.export', rawArgs);
  if (!v.ok) throw new ServiceError('invalid-args', v.error.message);
  const a = v.args as ParsedArgs<'runs.export'>;
  const runs = await knownRuns(ctx, a.runIds);
  const ex = await import('../../archive/export.ts');
  const stamp = new Date().toISOString().slice(0, 10);
  const one = runs.length === 1 ? `run-${runs[0]!.slice(0, 8)}` : `runs-${stamp}`;
  if (a.format === 'json' || a.format === 'ndjson') {
    if (a.format === 'json' && runs.length === 1) {
      return { filename: `${one}.json`, mime: 'application/json', runs: 1, chunks: [JSON.stringify(ex.exportRunBundle(ctx.archive, runs[0]!), null, 2)] };
    }
    return { filename: `${one}.${a.format}`, mime: a.format === 'json' ? 'application/json' : 'application/x-ndjson', runs: runs.length, chunks: ex.exportChunks(ctx.archive, runs, a.format) };
  }
  if (a.what === 'runs') return { filename: `runs-${stamp}.csv`, mime: 'text/csv', runs: runs.length, chunks: ex.exportChunks(ctx.archive, runs, 'csv') };
  if (runs.length !== 1) throw new ServiceError('invalid-args', `CSV of ${a.what} is one run per file; got ${runs.length} runs (use format 'json' for several)`);
  const u = runs[0]!;
  const table = a.what === 'metrics' ? ex.metricsTable(ctx.archive.getMetrics(u)) : ex.spectraTable(ctx.archive.getSpectra(u));
  return { filename: `run-${u.slice(0, 8)}-${a.what}.csv`, mime: 'text/csv', runs: 1, chunks: [ex.toCsv(table)] };
}

/** `ids` when every one is a run of the archive (checked EXPORT_BATCH at a time, a loop turn between); else not-found naming the first missing one. */
async function knownRuns(ctx: ServiceContext, ids: readonly string[]): Promise<string[]> {
  for (let i = 0; i < ids.length; i += EXPORT_BATCH) {
    if (i > 0) await loopTurn();
    const batch = ids.slice(i, i + EXPORT_BATCH);
    const have = ctx.archive.existingRuns(batch);
    const missing = batch.find((id) => !have.has(id));
    if (missing !== undefined) throw new ServiceError('not-found', `no run ${missing} in ${ctx.archive.file}`);
  }
  return [...ids];
}

/** Runs checked per query when a request names many (exports): one query, then a loop turn. */
const EXPORT_BATCH = 500;

/** Longest stretch, in ms, that assembling a runs.export reply holds the loop before giving others a turn. */
const SLICE_MS = 4;

/** Resolves after the loop has served what was waiting (I/O, timers): the yield between slices of long work. */
function loopTurn(): Promise<void> {
  return new Promise((ok) => setImmediate(ok));
}


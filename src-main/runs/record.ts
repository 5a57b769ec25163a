/**
 * `runWithArchive`: trains in this process and records the run in the archive (what `dplab run`
 * uses). This process is then the archive's writer for the run: events go in batches, checkpoints
 * are kept (newest K), a heartbeat shows it is alive, and a crash leaves the run 'running' with a
 * dead owner, which the next manager start marks 'interrupted' (resumable).
 */
import type { Setup } from '../spec/setup.ts';
import type { RunSummary, TrainerEvent } from '../spec/events.ts';
import type { BackendPreference } from '../spec/backends.ts';
import { setupHash } from '../spec/hash.ts';
import { openArchive, type Archive } from '../archive/archive.ts';
import { resolveArchivePath } from '../archive/paths.ts';
import { EventBatcher } from './batcher.ts';
import { encodeCheckpoint } from '../engine/checkpoint.ts';

/** Options of `runWithArchive`. */
export interface RunWithArchiveOptions {
  /** An open archive, or a file path; undefined: --archive default (DPLAB_ARCHIVE, then the data folder). */
  archive?: Archive | string;
  backend?: BackendPreference;
  onEvent?: (e: TrainerEvent) => void;
  signal?: AbortSignal;
  /** Steps between checkpoints (default 100; 0: none). */
  checkpointEvery?: number;
  keepCheckpoints?: number;
  /** Run name (default: the setup's name). */
  name?: string;
  /** Called once the run exists in the archive, before training starts. */
  onCreated?: (uuid: string, archiveFile: string) => void;
}

/** Trains `setup`, recording it in the archive; resolves with the run's uuid and summary. */
export async function runWithArchive(setup: Setup, opts: RunWithArchiveOptions = {}): Promise<{ uuid: string; summary: RunSummary }> {
  const archive = opts.archive && typeof opts.archive === 'object' ? opts.archive : openArchive(resolveArchivePath(opts.archive || undefined));
  const own = archive !== opts.archive;
  const run = archive.createRun({ name: opts.name ?? setup.name ?? null, setup: setup as unknown as Record<string, unknown>, setupHash: setupHash(setup), seed: setup.seed, status: 'running' });
  const uuid = run.uuid;
  archive.setStatus(uuid, 'running', { startedAt: Date.now(), pid: process.pid, ownerPid: process.pid });
  archive.heartbeat(uuid);
  opts.onCreated?.(uuid, archive.file);
  // Cancel comes from the caller's signal or from another process (`dplab runs cancel` sets a flag).
  const controller = new AbortController();
  // A failed write (disk full, …) stops the run instead of training on with nowhere to record it.
  let writeError: Error | undefined;
  const batcher = new EventBatcher((events) => {
    try {
      archive.appendEvents(uuid, events);
    } catch (e) {
      writeError ??= e as Error;
      controller.abort();
    }
  });
  if (opts.signal?.aborted) controller.abort();
  opts.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  const beat = setInterval(() => {
    archive.heartbeat(uuid);
    if (archive.getRun(uuid)?.cancelRequested) controller.abort();
  }, 2000);
  beat.unref();
  try {
    const { train } = await import('../engine/trainer.ts');
    const summary = await train(setup, {
      backend: opts.backend,
      signal: controller.signal,
      checkpointEvery: opts.checkpointEvery ?? 100,
      onCheckpoint: (c) => {
        batcher.flush();
        archive.putCheckpoint(uuid, c.step, encodeCheckpoint(c), opts.keepCheckpoints ?? 3);
      },
      onEvent: (e) => {
        batcher.push(e);
        opts.onEvent?.(e);
      },
    });
    batcher.flush();
    if (writeError) throw new Error(`recording run ${uuid} in ${archive.file} failed: ${writeError.message}`, { cause: writeError });
    if (archive.getRun(uuid)?.status === 'running') {
      archive.setStatus(uuid, summary.outcome, { endedAt: Date.now(), error: summary.error ?? null, pid: null, ownerPid: null });
    }
    return { uuid, summary };
  } catch (e) {
    try {
      batcher.flush();
      archive.setStatus(uuid, 'failed', { endedAt: Date.now(), error: (e as Error).message, pid: null, ownerPid: null });
    } catch {
      /* the archive itself is failing: the original error says more */
    }
    throw e;
  } finally {
    clearInterval(beat);
    if (own) archive.close();
  }
}

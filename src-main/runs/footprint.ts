/**
 * Memory a setup needs, estimated before anything is loaded or recorded, so a setup the schema
 * accepts but the machine cannot hold is refused at once with the field that makes it too big
 * (instead of an out-of-memory crash minutes in, or a wasm "memory access out of bounds"). Pure
 * arithmetic: no tfjs. The estimates are deliberately coarse upper bounds (a factor ~2), enough to
 * tell "fits" from "cannot fit", not a profiler. It lives with the run manager, not the engine, so
 * every way a run starts (`dplab run`, the service's runs.start and sweeps) applies the same check
 * without loading TensorFlow.js.
 */
import { constants as bufferConstants } from 'node:buffer';
import { freemem, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import type { Setup } from '../common/setup.ts';
import type { BackendKind } from '../common/backends.ts';
import { generatedDataset, type DatasetBuffer } from '../data/generated.ts';
import { datasetShape } from '../data/index.ts';

const GiB = 2 ** 30;
/** WebAssembly's 32-bit memory: tfjs-backend-wasm's heap can never grow beyond 4 GiB. */
export const WASM_HEAP_BYTES = 4 * GiB;

/**
 * Most elements one typed array may hold in this JavaScript engine (Node 20's V8: 2^32), whatever
 * the memory: a dataset split of more uint8 values cannot be allocated at all ("Invalid typed
 * array length"), so the preflight refuses it as it refuses a dataset that does not fit.
 */
export const TYPED_ARRAY_MAX_LENGTH = bufferConstants.MAX_LENGTH;

/** One part of the estimate, with the setup field that drives it. */
export interface FootprintPart {
  /** Setup field path to change to make this part smaller. */
  path: string;
  bytes: number;
  what: string;
}

/** The memory this process may use: DPLAB_MEMORY_BYTES, else the cgroup limit (containers, Slurm), else the RAM. */
export function memoryLimit(): number {
  const env = Number(process.env.DPLAB_MEMORY_BYTES);
  if (Number.isFinite(env) && env > 0) return env;
  for (const f of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const v = Number(readFileSync(f, 'utf8').trim());
      if (Number.isFinite(v) && v > 0 && v < totalmem()) return v;
    } catch {
      // no cgroup limit here
    }
  }
  return Math.max(totalmem(), freemem());
}

/** Floats of activations one image keeps for the backward pass through the encoder (per view). */
function encoderActivations(setup: Setup, h: number, w: number, c: number): { floats: number; features: number; params: number } {
  const e = setup.encoder;
  if (e.kind === 'resnet18') {
    // Four stages of two basic blocks (64, 128, 256, 512 channels), stride 2 from the second stage;
    // each block keeps ~6 tensors (conv, BN, ReLU twice) of its output size.
    let floats = 3 * h * w * 64;
    let params = 9 * c * 64;
    let hh = h, ww = w, cin = 64;
    for (const [s, c] of [64, 128, 256, 512].entries()) {
      if (s > 0) (hh = Math.ceil(hh / 2)), (ww = Math.ceil(ww / 2));
      floats += 2 * 6 * hh * ww * c;
      params += 9 * cin * c + 3 * 9 * c * c + (cin !== c ? cin * c : 0);
      cin = c;
    }
    return { floats, features: 512, params };
  }
  let floats = 0;
  let params = 0;
  let hh = h, ww = w, cin = c;
  e.widths.forEach((c, i) => {
    // conv → BN → ReLU keeps ~3 tensors of the stage's size; a residual block adds two convs more.
    floats += (e.residual ? 9 : 3) * hh * ww * c;
    params += 9 * cin * c + (e.residual ? 18 * c * c : 0);
    cin = c;
    if (i < e.widths.length - 1 && hh >= 2 && ww >= 2) (hh = Math.floor(hh / 2)), (ww = Math.floor(ww / 2));
  });
  return { floats, features: cin, params };
}

/**
 * The estimate per part for images of h×w×c and `images` images held in memory. Tensor parts live
 * in the backend's memory (wasm: its heap); the dataset lives in the Node process.
 */
export function estimateFootprint(setup: Setup, shape: { height: number; width: number; channels: number; images: number }): { tensors: FootprintPart[]; data: FootprintPart } {
  const B = setup.optim.batchSize;
  const d = setup.projector.out;
  const hidden = setup.projector.hidden;
  const enc = encoderActivations(setup, shape.height, shape.width, shape.channels);
  // Two views, online forward kept for backward, gradients of the same size, and the target's forward.
  const activations = 4 * B * 2 * 3 * (enc.floats + 3 * hidden + 3 * d + shape.height * shape.width * shape.channels);
  const pk = setup.predictor.kind;
  const predParams = pk === 'mlp' ? 2 * d * setup.predictor.hidden : pk === 'none' ? 0 : d * d;
  const netParams = enc.params + enc.features * hidden + hidden * d;
  // Weights, gradients, momentum and the EMA target (BYOL), float32.
  const params = 4 * 4 * (netParams + predParams);
  // F̂ and W_p in float64 and the eigendecomposition's workspace (a few d×d).
  const fhat = pk === 'directpred' || pk === 'directcopy' || pk === 'optimal' ? 8 * 6 * d * d : 0;
  const encoderPath = setup.encoder.kind === 'convnet' ? 'encoder.widths' : 'encoder.kind';
  const dataPath = generatedDataset(setup.data.dataset)?.shape(setup.data).path ?? 'data.trainSize';
  return {
    tensors: [
      { path: 'optim.batchSize', bytes: activations, what: `activations of ${B} images × 2 views` },
      { path: enc.params >= enc.features * hidden ? encoderPath : 'projector.hidden', bytes: params, what: `${((netParams + predParams) / 1e6).toFixed(1)} M parameters with gradients, momentum and the EMA target` },
      { path: 'projector.out', bytes: fhat, what: `F̂ and W_p of ${d}×${d} in float64` },
    ],
    data: { path: dataPath, bytes: shape.images * shape.height * shape.width * shape.channels, what: `${shape.images} images of ${shape.height}×${shape.width}×${shape.channels} in memory` },
  };
}

const gib = (n: number) => `${(n / GiB).toFixed(n < GiB ? 2 : 1)} GiB`;

/**
 * Problems (field path and message) when the setup cannot fit: the tensor parts against the
 * backend's memory (wasm: 4 GiB heap; native: half of the process limit), the dataset against half
 * of the process limit, and each of its buffers (when `shape.buffers` lists them) against the
 * typed-array length, on every backend. [] when it fits. GPU memory is not judged (not known here).
 */
export function footprintProblems(
  setup: Setup,
  shape: { height: number; width: number; channels: number; images: number; buffers?: DatasetBuffer[] },
  backend: BackendKind,
): { path: string; message: string }[] {
  const { tensors, data } = estimateFootprint(setup, shape);
  const limit = memoryLimit();
  const out: { path: string; message: string }[] = [];
  const per = shape.height * shape.width * shape.channels;
  for (const b of shape.buffers ?? []) {
    if (b.images * per <= TYPED_ARRAY_MAX_LENGTH) continue;
    const most = Math.floor(TYPED_ARRAY_MAX_LENGTH / per);
    out.push({
      path: b.path,
      message:
        `the dataset's ${b.what} images would be one array of ${b.images * per} bytes (${b.images} images of ${shape.height}×${shape.width}×${shape.channels}), ` +
        `more than the ${TYPED_ARRAY_MAX_LENGTH} elements a typed array may hold in Node ${process.versions.node}; ` +
        (b.path === 'data.dataset' ? `re-import the dataset with fewer or smaller images (--size)` : `use at most ${most} images of this size (${b.path}) or smaller ones`),
    });
  }
  const half = limit / 2;
  if (data.bytes > half) {
    out.push({ path: data.path, message: `the dataset needs about ${gib(data.bytes)} (${data.what}), more than half of the ${gib(limit)} this process may use; use fewer images (data.trainSize) or smaller ones` });
  }
  const gpu = backend === 'tfjs-node-gpu' || backend === 'webgpu';
  if (gpu) return out;
  const budget = backend === 'wasm' ? Math.min(WASM_HEAP_BYTES, limit) : half;
  const where = backend === 'wasm' ? `the wasm backend's heap (at most ${gib(budget)})` : `half of the ${gib(limit)} this process may use (${backend})`;
  const total = tensors.reduce((s, p) => s + p.bytes, 0);
  if (total > budget) {
    const worst = tensors.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    out.push({
      path: worst.path,
      message: `a training step needs about ${gib(total)}, more than ${where}; the largest part is ${gib(worst.bytes)} for ${worst.what}: make ${worst.path} smaller`,
    });
  }
  return out;
}

/**
 * The memory preflight every way of starting a run shares: the setup's dataset shape read from its
 * parameters or meta.json (no pixels loaded), then `footprintProblems`. [] when it fits, or when
 * the shape is only known by reading the data (a format read from `data.path`): `dplab run` checks
 * those again once loaded.
 */
export function setupFootprintProblems(setup: Setup, backend: BackendKind, cacheDir?: string): { path: string; message: string }[] {
  const shape = datasetShape(setup.data, cacheDir);
  return shape ? footprintProblems(setup, shape, backend) : [];
}

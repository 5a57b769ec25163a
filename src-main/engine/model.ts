/**
 * The networks of a run: encoder (small ConvNet or ResNet-18) and projector, as named parameters
 * plus pure forward functions. The online network, its EMA target and the probe's feature
 * extractor all call the same forward code with different parameter sets.
 */
import * as tf from '@tensorflow/tfjs';
import type { EncoderSetup, Setup } from '../common/setup.ts';
import { deriveSeed } from '../math/seeds.ts';
import { batchNorm, conv2d, dense, globalAvgPool, heNormal, maxPool2 } from './layers.ts';

/** Named tensors (weights, running statistics). Keys are stable: checkpoints and EMA rely on them. */
export type Params = Map<string, tf.Variable>;

/** Sums of BN batch statistics over `batches` forward passes (tensors the collector disposes). */
export interface BnSums {
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
  batches: number;
}

/** How a forward pass treats batch normalisation. */
export interface ForwardMode {
  /** true: normalise with batch statistics; false: with the running statistics in `running`. */
  training: boolean;
  /** Running mean/var store, keyed `<bn>.rm` / `<bn>.rv` (read in eval mode). */
  running?: Params;
  /**
   * When given (training mode, no gradient), each BN layer adds its batch mean and variance here:
   * the trainer averages them over a few batches to set the running statistics before evaluating
   * ("precise BN"), which keeps running averages off the training step's hot path.
   */
  collect?: Map<string, BnSums>;
}

/** Creates a parameter with seeded He-normal (weights) or constant (BN) values. */
export class ParamBuilder {
  readonly params: Params = new Map();
  readonly running: Params = new Map();
  /** `stream` names the seed stream: 'init' for the online network, another name for an independent draw. */
  constructor(private readonly rootSeed: number, private readonly stream = 'init') {}

  /** A weight with He-normal init; the seed depends only on the root seed, the stream and the name. */
  weight(name: string, shape: number[], fanIn: number): void {
    const init = heNormal(shape, fanIn, deriveSeed(this.rootSeed, this.stream, hashName(name)));
    this.params.set(name, tf.variable(init, true));
    init.dispose();
  }

  /** A PyTorch-Linear-style uniform(±1/sqrt(fanIn)) weight, used by the linear predictor. */
  uniform(name: string, shape: number[], fanIn: number): void {
    const b = 1 / Math.sqrt(fanIn);
    const init = tf.randomUniform(shape, -b, b, 'float32', deriveSeed(this.rootSeed, this.stream, hashName(name)));
    this.params.set(name, tf.variable(init, true));
    init.dispose();
  }

  constant(name: string, shape: number[], value: number): void {
    this.params.set(name, owned(tf.fill(shape, value), true));
  }

  /** BatchNorm γ, β and running statistics. */
  bn(name: string, channels: number): void {
    this.constant(`${name}.g`, [channels], 1);
    this.constant(`${name}.b`, [channels], 0);
    this.running.set(`${name}.rm`, owned(tf.zeros([channels]), false));
    this.running.set(`${name}.rv`, owned(tf.ones([channels]), false));
  }
}

/** A variable holding `init`'s values; `init` itself is released (the variable keeps the data). */
function owned(init: tf.Tensor, trainable: boolean): tf.Variable {
  const v = tf.variable(init, trainable);
  init.dispose();
  return v;
}

function hashName(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (Math.imul(h, 31) + name.charCodeAt(i)) | 0;
  return h >>> 0;
}

/** Applies a named BN layer of `p` in the given mode (followed by a ReLU when `relu`: fused on wasm). */
export function applyBn<T extends tf.Tensor>(x: T, p: Params, name: string, mode: ForwardMode, relu = false): T {
  const g = p.get(`${name}.g`) as unknown as tf.Tensor1D;
  const b = p.get(`${name}.b`) as unknown as tf.Tensor1D;
  if (!mode.training) {
    const rm = mode.running?.get(`${name}.rm`);
    const rv = mode.running?.get(`${name}.rv`);
    if (!rm || !rv) throw new Error(`no running statistics for ${name}`);
    return batchNorm(x, g, b, { mean: rm as unknown as tf.Tensor1D, variance: rv as unknown as tf.Tensor1D }, 1e-5, relu).y;
  }
  if (mode.collect) {
    // The training-mode batch norm returns its batch statistics (cheaper than tf.moments on wasm).
    // They are summed where they live (no readback: the GPU keeps working), kept past the caller's tidy.
    const out = batchNorm(x, g, b, null, 1e-5, relu);
    const acc = mode.collect.get(name);
    const sum = (old: tf.Tensor1D | undefined, t: tf.Tensor1D) => {
      const next = tf.keep(old ? old.add(t) : t.clone()) as tf.Tensor1D;
      old?.dispose();
      return next;
    };
    mode.collect.set(name, { mean: sum(acc?.mean, out.mean), variance: sum(acc?.variance, out.variance), batches: (acc?.batches ?? 0) + 1 });
    return out.y;
  }
  return batchNorm(x, g, b, null, 1e-5, relu).y;
}

/** Input shape of the encoder. */
export interface InputShape {
  height: number;
  width: number;
  channels: number;
}

/** An encoder: builds its parameters and maps images N×H×W×C to features N×featureDim. */
export interface Encoder {
  featureDim: number;
  forward(x: tf.Tensor4D, p: Params, mode: ForwardMode): tf.Tensor2D;
}

function convBnRelu(x: tf.Tensor4D, p: Params, name: string, mode: ForwardMode, stride: 1 | 2 = 1): tf.Tensor4D {
  const w = p.get(`${name}.w`) as unknown as tf.Tensor4D;
  return applyBn(conv2d(x, w, stride), p, `${name}.bn`, mode, true);
}

function convBn(x: tf.Tensor4D, p: Params, name: string, mode: ForwardMode, stride: 1 | 2 = 1): tf.Tensor4D {
  const w = p.get(`${name}.w`) as unknown as tf.Tensor4D;
  return applyBn(conv2d(x, w, stride), p, `${name}.bn`, mode);
}

function addConv(b: ParamBuilder, name: string, k: number, cin: number, cout: number): void {
  b.weight(`${name}.w`, [k, k, cin, cout], k * k * cin);
  b.bn(`${name}.bn`, cout);
}

/** Small ResNet-style ConvNet: per stage conv3×3-BN-ReLU (+ optional residual block), max-pool between stages. */
function buildConvNet(b: ParamBuilder, enc: Extract<EncoderSetup, { kind: 'convnet' }>, input: InputShape): Encoder {
  let cin = input.channels;
  enc.widths.forEach((w, i) => {
    addConv(b, `enc.s${i}.c`, 3, cin, w);
    if (enc.residual) {
      addConv(b, `enc.s${i}.r1`, 3, w, w);
      addConv(b, `enc.s${i}.r2`, 3, w, w);
    }
    cin = w;
  });
  const n = enc.widths.length;
  return {
    featureDim: enc.widths[n - 1]!,
    forward(x, p, mode) {
      let h = x;
      for (let i = 0; i < n; i++) {
        h = convBnRelu(h, p, `enc.s${i}.c`, mode);
        if (enc.residual) {
          const r = convBn(convBnRelu(h, p, `enc.s${i}.r1`, mode), p, `enc.s${i}.r2`, mode);
          h = tf.relu(h.add(r)) as tf.Tensor4D;
        }
        if (i < n - 1 && h.shape[1]! >= 2 && h.shape[2]! >= 2) h = maxPool2(h);
      }
      return globalAvgPool(h);
    },
  };
}

/** ResNet-18, CIFAR variant (3×3 stem, no stem max-pool), widths 64-128-256-512. */
function buildResNet18(b: ParamBuilder, input: InputShape): Encoder {
  const widths = [64, 128, 256, 512];
  addConv(b, 'enc.stem', 3, input.channels, 64);
  let cin = 64;
  const blocks: { name: string; stride: 1 | 2; shortcut: boolean }[] = [];
  widths.forEach((w, s) => {
    for (let k = 0; k < 2; k++) {
      const stride: 1 | 2 = s > 0 && k === 0 ? 2 : 1;
      const name = `enc.l${s}.b${k}`;
      addConv(b, `${name}.c1`, 3, cin, w);
      addConv(b, `${name}.c2`, 3, w, w);
      const shortcut = stride !== 1 || cin !== w;
      if (shortcut) addConv(b, `${name}.sc`, 1, cin, w);
      blocks.push({ name, stride, shortcut });
      cin = w;
    }
  });
  return {
    featureDim: 512,
    forward(x, p, mode) {
      let h = convBnRelu(x, p, 'enc.stem', mode);
      for (const blk of blocks) {
        const r = convBn(convBnRelu(h, p, `${blk.name}.c1`, mode, blk.stride), p, `${blk.name}.c2`, mode);
        const sc = blk.shortcut ? convBn(h, p, `${blk.name}.sc`, mode, blk.stride) : h;
        h = tf.relu(r.add(sc)) as tf.Tensor4D;
      }
      return globalAvgPool(h);
    },
  };
}

/** The online backbone: encoder followed by the projector (Linear → BN → ReLU → Linear). */
export interface Backbone {
  encoder: Encoder;
  /** Projector output width d (the predictor input f ∈ R^d). */
  outDim: number;
  params: Params;
  running: Params;
  /** Encoder features (for probes). */
  features(x: tf.Tensor4D, p: Params, mode: ForwardMode): tf.Tensor2D;
  /** Projector output z = f, the predictor's input. */
  project(h: tf.Tensor2D, p: Params, mode: ForwardMode): tf.Tensor2D;
}

/**
 * Builds encoder + projector parameters for a setup and an input shape, seeded from the root seed
 * (`stream` 'init'; another stream draws an independent initialisation of the same shapes).
 */
export function buildBackbone(setup: Setup, input: InputShape, stream = 'init'): Backbone {
  const b = new ParamBuilder(setup.seed, stream);
  const encoder = setup.encoder.kind === 'convnet' ? buildConvNet(b, setup.encoder, input) : buildResNet18(b, input);
  const { hidden, out } = setup.projector;
  b.weight('proj.l1.w', [encoder.featureDim, hidden], encoder.featureDim);
  b.bn('proj.bn', hidden);
  b.weight('proj.l2.w', [hidden, out], hidden);
  b.constant('proj.l2.b', [out], 0);
  return {
    encoder,
    outDim: out,
    params: b.params,
    running: b.running,
    features: (x, p, mode) => encoder.forward(x, p, mode),
    project(h, p, mode) {
      const a = applyBn(dense(h, p.get('proj.l1.w') as unknown as tf.Tensor2D), p, 'proj.bn', mode, true);
      return dense(a, p.get('proj.l2.w') as unknown as tf.Tensor2D, p.get('proj.l2.b') as unknown as tf.Tensor1D);
    },
  };
}

/**
 * Seeds trained together as one model: S setups that differ only in their seed, trained in one
 * pass per step so that tfjs's per-call work is shared where the members' layers allow. Every member
 * keeps its own networks (built by the solo code), data order, augmentations, BN statistics,
 * optimiser, F̂ and W_p, and every number it computes is the one its solo run computes, bit for bit:
 *  - the augmentation is per image: it runs once on all members' images, stacked along the batch
 *    axis ([S·B, H, W, C]), and each member's rows are then cut out (one copy, kernels/rows.ts);
 *  - through the encoder and projector each member's activations stay its own tensor (a list):
 *    convolutions and dense layers, whose weights differ per member, run per member in the solo
 *    shapes, so their reductions (weight gradients included) sum in the solo order;
 *  - batch norm is one grouped kernel call for all members (kernels/batch-norm.ts), each member's
 *    tensor normalised exactly as the solo kernel does it, with that member's γ and β;
 *  - the projector outputs are stacked ([S·B, d]) for the loss rows and the step statistics;
 *    reductions over a member's rows (the batch mean of the loss, the statistics) run over the
 *    [S, B, …] view, which tfjs's wasm reductions sum row by row as they do a lone [B, …] tensor;
 *  - the total loss is the sum of the members' losses: the gradient of each member's loss is 1, as
 *    in its solo run, and no member's weights reach another's loss.
 * The forward here mirrors model.ts's ConvNet and projector and predictors.ts's kinds, member by
 * member; test/engine/group.test.ts keeps the two in step (every supported kind, the residual
 * ConvNet included, must equal its solo run bit for bit), so a change to one that misses the other
 * fails there.
 * A diverged member stays in the computation (its rows touch nobody else's) but is no longer
 * updated or reported, as its solo run would have stopped. Measured at lab scale a group is no
 * faster than its members one after another (BENCHMARKS.md, "Seeds trained as one model"): the
 * per-member convolutions dominate, and a group's larger working set costs what the sharing saves.
 */
import * as tf from '@tensorflow/tfjs';
import type { Setup } from '../../common/setup.ts';
import type { Params } from '../model.ts';
import { conv2d, dense, globalAvgPool, maxPool2 } from '../layers.ts';
import { batchNormGroupKernel } from '../kernels/batch-norm.ts';
import { concatRows, registerRowKernels, splitRows } from '../kernels/rows.ts';
import { augmentView, type AugmentPlan } from '../augment.ts';
import type { BatchStream } from './batches.ts';
import type { Networks } from './networks.ts';
import { stopGradient } from './objective.ts';
import type { StepReading } from './step.ts';

/** Fields a group's members may differ in: everything else must be equal. */
const FREE_FIELDS = new Set(['seed', 'name']);

/** The first path where a and b differ (`optim.lr`, `encoder.widths[1]`), or null when equal. */
function firstDifference(a: unknown, b: unknown, path: string): string | null {
  if (Object.is(a, b)) return null;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return path || '(setup)';
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      if (!path && FREE_FIELDS.has(k)) continue;
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      if (d) return d;
    }
    return null;
  }
  return path || '(setup)';
}

/**
 * Why `setups` cannot be trained as one group, or null when they can: at least two; equal in every
 * field but `seed` and `name` (the reason names the first field that differs); a ConvNet encoder;
 * the wasm backend (`backend`, when the caller knows it). Callers run the setups alone instead.
 */
export function groupable(setups: readonly Setup[], backend?: string): string | null {
  if (setups.length < 2) return `a group needs at least 2 setups, got ${setups.length}`;
  if (backend !== undefined && backend !== 'wasm') return `groups train on the wasm backend only, not '${backend}'`;
  const first = setups[0]!;
  for (let i = 1; i < setups.length; i++) {
    const d = firstDifference(first, setups[i], '');
    if (d) return `setup ${i} differs from setup 0 in '${d}' (members may differ only in seed and name)`;
  }
  if (first.encoder.kind !== 'convnet') return `encoder.kind '${first.encoder.kind}' is not supported in a group (ConvNet only)`;
  return null;
}

const param = <T extends tf.Tensor>(p: Params, k: string): T => {
  const v = p.get(k);
  if (!v) throw new Error(`group: no parameter '${k}'`);
  return v as unknown as T;
};

/**
 * One forward pass's parameters: every member's store, and each BN layer's γ and β stacked [S, C]
 * once per pass (both views share them; the gradient of the stack is one unstack).
 */
class Pass {
  private readonly stacked = new Map<string, [tf.Tensor2D, tf.Tensor2D]>();
  constructor(readonly ps: Params[]) {}

  bn(name: string): [tf.Tensor2D, tf.Tensor2D] {
    let gb = this.stacked.get(name);
    if (!gb) {
      gb = [tf.stack(this.ps.map((p) => param(p, `${name}.g`))) as tf.Tensor2D, tf.stack(this.ps.map((p) => param(p, `${name}.b`))) as tf.Tensor2D];
      this.stacked.set(name, gb);
    }
    return gb;
  }
}

/** Training-mode BN `name` of every member on its own tensor (one kernel call each way), ReLU fused when `relu`. */
function groupBn<T extends tf.Tensor>(xs: T[], pass: Pass, name: string, relu: boolean): T[] {
  const [gamma, beta] = pass.bn(name);
  return batchNormGroupKernel(xs, gamma, beta, 1e-5, relu);
}

function groupConvBn(xs: tf.Tensor4D[], pass: Pass, name: string, relu: boolean): tf.Tensor4D[] {
  return groupBn(xs.map((x, m) => conv2d(x, param(pass.ps[m]!, `${name}.w`))), pass, `${name}.bn`, relu);
}

function groupDense(xs: tf.Tensor2D[], pass: Pass, w: string, b?: string): tf.Tensor2D[] {
  return xs.map((x, m) => dense(x, param(pass.ps[m]!, w), b && pass.ps[m]!.has(b) ? param<tf.Tensor1D>(pass.ps[m]!, b) : undefined));
}

/** The ConvNet encoder of model.ts, each member's images with its parameters. */
function groupFeatures(xs: tf.Tensor4D[], pass: Pass, setup: Setup): tf.Tensor2D[] {
  const enc = setup.encoder;
  if (enc.kind !== 'convnet') throw new Error(`group: encoder '${enc.kind}' is not supported`);
  const n = enc.widths.length;
  let h = xs;
  for (let i = 0; i < n; i++) {
    h = groupConvBn(h, pass, `enc.s${i}.c`, true);
    if (enc.residual) {
      const r = groupConvBn(groupConvBn(h, pass, `enc.s${i}.r1`, true), pass, `enc.s${i}.r2`, false);
      h = h.map((hm, m) => tf.relu(hm.add(r[m]!)) as tf.Tensor4D);
    }
    if (i < n - 1 && h[0]!.shape[1]! >= 2 && h[0]!.shape[2]! >= 2) h = h.map((hm) => maxPool2(hm));
  }
  return h.map((hm) => globalAvgPool(hm));
}

/** The projector of model.ts (Linear → BN → ReLU → Linear). */
function groupProject(hs: tf.Tensor2D[], pass: Pass): tf.Tensor2D[] {
  const a = groupBn(groupDense(hs, pass, 'proj.l1.w'), pass, 'proj.bn', true);
  return groupDense(a, pass, 'proj.l2.w', 'proj.l2.b');
}

/** The predictor of predictors.ts (every registered kind). */
function groupPredict(fs: tf.Tensor2D[], pass: Pass, setup: Setup): tf.Tensor2D[] {
  switch (setup.predictor.kind) {
    case 'none':
      return fs;
    case 'mlp': {
      const a = groupBn(groupDense(fs, pass, 'pred.l1.w'), pass, 'pred.bn', true);
      return groupDense(a, pass, 'pred.l2.w', 'pred.l2.b');
    }
    case 'linear':
    case 'directpred':
    case 'directcopy':
    case 'optimal':
      return groupDense(fs, pass, 'pred.w', 'pred.b');
  }
}

/** Each member's rows of a stacked batch (one copy), or the one tensor of a group of one. */
function rowsOf<T extends tf.Tensor>(x: T, S: number): T[] {
  if (S === 1) return [x];
  registerRowKernels();
  return splitRows(x, S);
}

/** Members' tensors stacked along the batch axis (one copy). */
function stackRows<T extends tf.Tensor>(xs: T[]): T {
  if (xs.length === 1) return xs[0]!;
  registerRowKernels();
  return concatRows(xs);
}

/** objective.ts's pairLoss per member: ℓ over each member's rows, averaged per member → [S]. */
function groupPairLoss(p: tf.Tensor2D, t: tf.Tensor2D, S: number, kind: Setup['loss']): tf.Tensor1D {
  const perRow = (rows: tf.Tensor1D) => rows.reshape([S, -1]).mean(1) as tf.Tensor1D;
  if (kind === 'mse') return perRow(tf.sum(tf.square(p.sub(t)), 1));
  const pn = p.div(p.norm('euclidean', 1, true).add(1e-12));
  const tn = t.div(t.norm('euclidean', 1, true).add(1e-12));
  return tf.scalar(2).sub(perRow(pn.mul(tn).sum(1)).mul(2)) as tf.Tensor1D;
}

/** The members of a group: their networks (solo-built) and the setup they share but for the seed. */
export interface Group {
  setup: Setup;
  members: Networks[];
}

/** One step's stacked inputs: both views of every member and, for BYOL, the EMA targets' outputs. */
export interface GroupInputs {
  v1: tf.Tensor4D;
  v2: tf.Tensor4D;
  targets: tf.Tensor2D[] | null;
}

function concatPlans(plans: AugmentPlan[]): AugmentPlan {
  const cat = (k: 'boxes' | 'brightness' | 'contrast' | 'saturation' | 'grayscale') => {
    const out = new Float32Array(plans.reduce((n, p) => n + p[k].length, 0));
    let at = 0;
    for (const p of plans) {
      out.set(p[k], at);
      at += p[k].length;
    }
    return out;
  };
  return { boxes: cat('boxes'), brightness: cat('brightness'), contrast: cat('contrast'), saturation: cat('saturation'), grayscale: cat('grayscale'), noiseSeed: plans[0]!.noiseSeed };
}

/**
 * The stacked views of step `step`: each member's batch and augmentation drawn by its own stream as
 * its solo run draws them. The augmentation is per image, so it runs once on the stacked images;
 * with pixel noise (one seeded draw per view) it runs per member.
 */
export function groupViews(g: Group, streams: BatchStream[], step: number, shape: [number, number, number]): [tf.Tensor4D, tf.Tensor4D] {
  const aug = g.setup.augment;
  const draws = streams.map((s) => s.draw(step));
  return tf.tidy(() => {
    if (aug.noise > 0) {
      const views = streams.map((s) => s.views(step));
      return [tf.concat(views.map((v) => v[0]), 0), tf.concat(views.map((v) => v[1]), 0)] as [tf.Tensor4D, tf.Tensor4D];
    }
    const pixels = draws.map((d, m) => streams[m]!.pixels(d.idx));
    const all = new Float32Array(pixels.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of pixels) {
      all.set(p, at);
      at += p.length;
    }
    const n = draws.reduce((k, d) => k + d.idx.length, 0);
    const x = tf.tensor4d(all, [n, ...shape]);
    return [augmentView(x, concatPlans(draws.map((d) => d.plan1)), aug), augmentView(x, concatPlans(draws.map((d) => d.plan2)), aug)] as [tf.Tensor4D, tf.Tensor4D];
  });
}

/** BYOL: every member's EMA-target outputs of both views, stacked (no gradient); null for SimSiam. */
export function groupTargetOutputs(g: Group, v1: tf.Tensor4D, v2: tf.Tensor4D): tf.Tensor2D[] | null {
  if (!g.members[0]!.isEma) return null;
  const pass = new Pass(g.members.map((n) => n.target));
  const S = g.members.length;
  return tf.tidy(() => [v1, v2].map((v) => stackRows(groupProject(groupFeatures(rowsOf(v, S), pass, g.setup), pass))));
}

/** What a group's forward/backward pass yields; the caller disposes every tensor. */
export interface GroupLossAndGrads {
  /** Each member's loss, [S]. */
  value: tf.Tensor1D;
  /** Each member's gradients, keyed by tfjs variable name as `tf.variableGrads` gives them. */
  grads: tf.NamedTensorMap[];
  /** Per member, detached: E_B[ffᵀ] (stacked over E_B[f_a fᵀ] with `crossStats`) [S, k·d, d], the mean of f [S, d], the collapse std [S]. */
  corr: tf.Tensor;
  mean: tf.Tensor;
  std: tf.Tensor;
}

/** objective.ts's lossAndGrads for every member at once; `trainable`: the variables of all members. */
export function groupLossAndGrads(g: Group, v1: tf.Tensor4D, v2: tf.Tensor4D, targets: tf.Tensor2D[] | null, trainable: tf.Variable[]): GroupLossAndGrads {
  const { setup, members } = g;
  const S = members.length;
  const { d, pred } = members[0]!;
  let side: tf.Tensor[] = [];
  let perMemberLoss: tf.Tensor1D | null = null;
  const { value: total, grads: all } = tf.variableGrads(() => {
    const pass = new Pass(members.map((n) => n.online));
    const z1s = groupProject(groupFeatures(rowsOf(v1, S), pass, setup), pass);
    const z2s = groupProject(groupFeatures(rowsOf(v2, S), pass, setup), pass);
    const z1 = stackRows(z1s);
    const z2 = stackRows(z2s);
    // No predictor: p is z itself, as in the solo objective (one tensor, its gradients summed there).
    const none = setup.predictor.kind === 'none';
    const p1 = none ? z1 : stackRows(groupPredict(z1s, pass, setup));
    const p2 = none ? z2 : stackRows(groupPredict(z2s, pass, setup));
    let t1: tf.Tensor2D, t2: tf.Tensor2D;
    if (targets) [t1, t2] = targets as [tf.Tensor2D, tf.Tensor2D];
    else if (setup.stopGradient) [t1, t2] = [stopGradient(z1), stopGradient(z2)];
    else [t1, t2] = [z1, z2];
    const both = groupPairLoss(p1, t2, S, setup.loss).add(groupPairLoss(p2, t1, S, setup.loss)) as tf.Tensor1D;
    const loss = setup.lossReduction === 'mean' ? (both.mul(0.5) as tf.Tensor1D) : both;
    perMemberLoss = tf.keep(loss);
    // The step statistics, per member over its own rows of both views ([S, 2B, d]).
    const stacked = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.concat([a.reshape([S, -1, d]), b.reshape([S, -1, d])], 1) as tf.Tensor3D;
    const f = stacked(z1, z2);
    const rows = f.shape[1];
    const fs = tf.unstack(f) as tf.Tensor2D[];
    let corr: tf.Tensor = tf.stack(fs.map((fm) => tf.matMul(tf.transpose(fm), fm))).div(rows);
    if (pred.crossStats) {
      const fa = tf.unstack(stacked(t2, t1)) as tf.Tensor2D[];
      const cross = tf.stack(fs.map((fm, m) => tf.matMul(tf.transpose(fa[m]!), fm))).div(rows);
      corr = tf.concat([corr, cross], 1);
    }
    const mean = f.mean(1);
    const zn = z1.div(z1.norm('euclidean', 1, true).add(1e-12)).reshape([S, -1, d]);
    const std = tf.moments(zn, 1).variance.sqrt().mean(1).mul(Math.sqrt(d));
    side = [tf.keep(corr), tf.keep(mean), tf.keep(std)];
    return loss.sum() as tf.Scalar;
  }, trainable);
  total.dispose();
  const grads = members.map((n) => {
    const mine: tf.NamedTensorMap = {};
    for (const [name, t] of Object.entries(all)) if (n.keyOfVar.has(name)) mine[name] = t;
    return mine;
  });
  const [corr, mean, std] = side as [tf.Tensor, tf.Tensor, tf.Tensor];
  return { value: perMemberLoss!, grads, corr, mean, std };
}

/**
 * step.ts's readStep for a group: every member's loss, std, mean, E_B[ffᵀ] and (when given) W_p in
 * one packed readback; disposes its inputs. Readings are those the members' solo runs read.
 */
export async function readGroupStep(value: tf.Tensor, std: tf.Tensor, mean: tf.Tensor, corr: tf.Tensor, wps: (tf.Tensor | null)[]): Promise<StepReading[]> {
  const S = wps.length;
  const present = wps.filter((w): w is tf.Tensor => w !== null);
  const parts = [value, std, mean, corr, ...present];
  const packed = tf.tidy(() => tf.concat(parts.map((t) => t.reshape([-1]))));
  tf.dispose(parts);
  const all = (await packed.data()) as Float32Array;
  packed.dispose();
  const d = mean.size / S;
  const nCorr = corr.size / S;
  const meanAt = 2 * S;
  const corrAt = meanAt + S * d;
  let wpAt = corrAt + S * nCorr;
  return wps.map((w, m) => {
    let wp: Float64Array | null = null;
    if (w) {
      wp = Float64Array.from(all.subarray(wpAt, wpAt + w.size));
      wpAt += w.size;
    }
    return {
      loss: all[m]!,
      std: all[S + m]!,
      mean: all.subarray(meanAt + m * d, meanAt + (m + 1) * d),
      corr: all.subarray(corrAt + m * nCorr, corrAt + (m + 1) * nCorr),
      wp,
    };
  });
}

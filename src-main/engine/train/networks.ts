/**
 * Model build of a training run: the online network (backbone + predictor), the BYOL target (an
 * EMA copy of the backbone; empty for SimSiam, whose target is the online network), the SGD
 * momenta and the BN running statistics, all as named parameter stores whose keys checkpoints use.
 */
import * as tf from '@tensorflow/tfjs';
import type { PredictorSetup, Setup } from '../../common/setup.ts';
import { buildBackbone, ParamBuilder, type Backbone, type InputShape, type Params } from '../model.ts';
import { PREDICTORS, type PredictorBlock } from '../predictors.ts';

/** Every parameter store of a run plus the blocks that compute with them. */
export interface Networks {
  backbone: Backbone;
  /** The registered predictor kind of the setup. */
  pred: PredictorBlock;
  predCfg: PredictorSetup;
  /** Trainable weights: backbone then predictor (`pred.` keys). */
  online: Params;
  /** BN running statistics (`<bn>.rm`, `<bn>.rv`). */
  running: Params;
  /** BYOL's EMA target W_a of the backbone weights; empty when the target is the online network. */
  target: Params;
  /** SGD momentum buffer per online weight. */
  momenta: Params;
  /** tfjs keys gradients by variable name; this maps them back to our parameter keys. */
  keyOfVar: Map<string, string>;
  /** Width d of the predictor input f (the projector's output). */
  d: number;
  /** Whether the target is an EMA copy (BYOL). */
  isEma: boolean;
  /** Online weights SGD never updates (the projector BN's γ, β when `projector.bnAffine` is off). */
  frozen: ReadonlySet<string>;
}

/** Seed stream of the target's own initialisation (`targetInit` 'random'), independent of the online one. */
const TARGET_INIT_STREAM = 'target-init';

/** Builds the networks of `setup` for images of shape `input`, seeded by the setup's root seed. */
export function buildNetworks(setup: Setup, input: InputShape): Networks {
  const backbone = buildBackbone(setup, input);
  const predCfg = setup.predictor;
  const pred = PREDICTORS[predCfg.kind];
  const pb = new ParamBuilder(setup.seed);
  pred.build(pb, backbone.outDim, predCfg);
  const online: Params = new Map([...backbone.params, ...pb.params]);
  const running: Params = new Map([...backbone.running, ...pb.running]);
  const isEma = setup.method === 'byol';
  const target: Params = new Map();
  if (isEma && setup.targetInit === 'random') {
    // The official code's target: a second network of the same architecture, initialised on its own.
    const other = buildBackbone(setup, input, TARGET_INIT_STREAM);
    for (const [k, v] of other.params) target.set(k, tf.variable(v, false));
    tf.dispose([...other.params.values(), ...other.running.values()]);
  } else if (isEma) for (const [k, v] of backbone.params) target.set(k, tf.variable(v, false));
  // Without BN affine the projector's γ = 1 and β = 0 stay as built (kept as weights, so checkpoints keep their keys).
  const frozen = new Set<string>(setup.projector.bnAffine ? [] : ['proj.bn.g', 'proj.bn.b']);
  const keyOfVar = new Map<string, string>();
  for (const [k, v] of online) keyOfVar.set(v.name, k);
  const momenta: Params = new Map();
  for (const [k, v] of online) {
    const zero = tf.zerosLike(v);
    momenta.set(k, tf.variable(zero, false));
    zero.dispose();
  }
  return { backbone, pred, predCfg, online, running, target, momenta, keyOfVar, d: backbone.outDim, isEma, frozen };
}

/** The online variables SGD updates at `step`: all, minus the predictor's while it is set in closed form and the frozen ones. */
export function trainableAt(nets: Networks, step: number): tf.Variable[] {
  const sgdPred = nets.pred.sgdAt(step, nets.predCfg);
  const trainable: tf.Variable[] = [];
  for (const [k, v] of nets.online) if ((!k.startsWith('pred.') || sgdPred) && !nets.frozen.has(k)) trainable.push(v);
  return trainable;
}

/** Frees every variable of the run. */
export function disposeNetworks(nets: Networks): void {
  tf.dispose([...nets.online.values(), ...nets.target.values(), ...nets.momenta.values(), ...nets.running.values()]);
}

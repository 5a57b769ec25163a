/**
 * Setup presets for the paper's settings (Tian, Chen & Ganguli 2021, Tables 1–5 and §4). Each is a
 * partial setup: the rest takes the schema's defaults. Browser-safe (the composer lists them).
 */
import type { SetupInput } from './setup.ts';

/** A named starting point for the composer and the CLI. */
export interface SetupPreset {
  id: string;
  label: string;
  description: string;
  setup: SetupInput;
}

/** Presets in the order the composer shows them. */
export const SETUP_PRESETS: SetupPreset[] = [
  {
    id: 'byol-mlp',
    label: 'BYOL, 2-layer predictor',
    description: 'BYOL with the usual 2-layer MLP predictor and EMA target (paper Table 3 reference).',
    setup: { method: 'byol', predictor: { kind: 'mlp', hidden: 512 } },
  },
  {
    id: 'byol-linear',
    label: 'BYOL, linear predictor',
    description: 'Linear bias-free predictor trained by SGD, EMA target (the SGD baseline of Table 8).',
    setup: { method: 'byol', predictor: { kind: 'linear', bias: false, symmetric: false } },
  },
  {
    id: 'symmetric-ema',
    label: 'Symmetric predictor, with EMA',
    description: 'W_p ← (W_p + W_pᵀ)/2 after every step, EMA target: trains (Table 3).',
    setup: { method: 'byol', predictor: { kind: 'linear', bias: false, symmetric: true } },
  },
  {
    id: 'symmetric-no-ema',
    label: 'Symmetric predictor, no EMA',
    description: 'Symmetric W_p without EMA (target = online): collapses unless α_p > 1 (Table 3, Fig. 6).',
    setup: { method: 'simsiam', predictor: { kind: 'linear', bias: false, symmetric: true } },
  },
  {
    id: 'directpred',
    label: 'DirectPred (ρ 0.3, ε 0.1, freq 1)',
    description: 'W_p set from the eigendecomposition of F̂ every step (paper Eq. 18, official code form).',
    setup: { method: 'byol', predictor: { kind: 'directpred', rho: 0.3, eps: 0.1, freq: 1, bias: false } },
  },
  {
    id: 'directpred-freq5',
    label: 'DirectPred, freq 5',
    description: 'W_p set every 5 steps (after steps 0, 5, 10, … as the official code), SGD-trained in between (the longer-run setting of Table 8).',
    setup: { method: 'byol', predictor: { kind: 'directpred', rho: 0.3, eps: 0.1, freq: 5, freqPhase: 'first', bias: false } },
  },
  {
    id: 'directcopy',
    label: 'DirectCopy',
    description: 'W_p = F̂ / λ_max + εI, no eigendecomposition (DirectCopy; the official code uses F̂ + εI unnormalised: predictor.normalize "none").',
    setup: { method: 'byol', predictor: { kind: 'directcopy', rho: 0.3, eps: 0.1, freq: 1 } },
  },
  {
    id: 'directpred-official',
    label: 'DirectPred as the official code runs it',
    description: 'The official README command (ρ 0.3, ε 0.01, freq 1) with every reference-code option at its official value: target from its own random init, projector BN without γ/β, last partial batch kept.',
    setup: {
      method: 'byol',
      targetInit: 'random',
      projector: { bnAffine: false },
      optim: { lastBatch: 'keep' },
      predictor: { kind: 'directpred', rho: 0.3, eps: 0.01, freq: 1, freqPhase: 'first', bias: false },
    },
  },
  {
    id: 'simsiam',
    label: 'SimSiam',
    description: 'Target = online network with stop-gradient, 2-layer predictor, no EMA.',
    setup: { method: 'simsiam', predictor: { kind: 'mlp', hidden: 512 } },
  },
  {
    id: 'no-predictor',
    label: 'No predictor',
    description: 'Identity predictor with EMA: collapses (paper Theorem 2, "no predictor").',
    setup: { method: 'byol', predictor: { kind: 'none' } },
  },
  {
    id: 'no-stop-gradient',
    label: 'No stop-gradient',
    description: 'SimSiam without stop-gradient: collapses fastest (paper Theorem 2).',
    setup: { method: 'simsiam', stopGradient: false, predictor: { kind: 'linear', bias: false, symmetric: false } },
  },
];

/**
 * The one quick setup: 16×16 synthetic shapes, a 2-stage ConvNet, 48 steps. It trains in about ten
 * seconds on one CPU core and still answers "does the predictor matter?": the output std × √d of
 * predictor `none` and of DirectPred come apart well beyond the spread across seeds (measured in
 * BENCHMARKS.md). The composer's quick test, the sweep builder's base, `examples/quick.json` and
 * the tests start from it (tests override `optim.maxSteps` for shorter runs).
 */
export const QUICK_SETUP = {
  data: { dataset: 'synthetic', synthetic: { size: 16, channels: 1 as const, classes: 4, train: 512, test: 64 } },
  encoder: { kind: 'convnet' as const, widths: [8, 16], residual: false },
  projector: { hidden: 32, out: 16 },
  optim: { batchSize: 32, epochs: 3, maxSteps: 48 },
  eval: { probeEpochs: 5, probeTrain: 256, probeTest: 64, spectraEvery: 4 },
} satisfies SetupInput;

/**
 * The starter sweep one click from the empty Sweeps view: the quick setup with predictor none,
 * linear and DirectPred, three seeds each — the ablation of the paper's Theorem 2 / Table 1 in a
 * couple of minutes.
 */
export const PREDICTOR_ABLATION = {
  name: 'predictor ablation (quick)',
  base: QUICK_SETUP,
  axes: { 'predictor.kind': ['none', 'linear', 'directpred'] },
  seeds: 3,
};

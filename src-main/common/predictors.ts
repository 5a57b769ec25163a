/**
 * Predictor kinds, pure side: each kind's options (zod, with defaults and meaning) and its label.
 * The setup schema takes its predictor union from here, and the TensorFlow.js side
 * (`engine/predictors.ts`, a record keyed by kind) must implement every kind listed here, which
 * the type checker enforces. Adding a kind: its schema and label here, its block there.
 */
import { z } from 'zod';

const unit = z.number().finite().min(0).max(1);
const nonNegative = z.number().finite().nonnegative();

/**
 * Which step of each block of `freq` steps sets W_p from F̂ (0-based step t): 'last', after step t
 * with (t + 1) % freq == 0 (ours, so the first W_p is set after `freq` SGD steps), or 'first', after
 * step t with t % freq == 0 (official code: luckmatters ssl/real-dataset/byol_trainer.py,
 * `regulate_predictor`: `niter % predictor_freq == 0`, called after the optimiser step with niter
 * starting at 0). Identical when freq = 1.
 */
const freqPhase = z.enum(['last', 'first']).default('last');

const none = z.strictObject({ kind: z.literal('none') }).describe('identity: no predictor');
const linear = z
  .strictObject({
    kind: z.literal('linear'),
    bias: z.boolean().default(false),
    /** Symmetric regularisation: W_p ← (W_p + W_pᵀ)/2 after every step (paper Assumption 3). */
    symmetric: z.boolean().default(false),
  })
  .describe('linear W_p trained by SGD');
const mlp = z
  .strictObject({
    kind: z.literal('mlp'),
    hidden: z.number().int().min(1).max(8192).default(512),
  })
  .describe('2-layer MLP with BatchNorm and ReLU');
const directpred = z
  .strictObject({
    kind: z.literal('directpred'),
    /** ρ: EMA rate of F̂ ← ρF̂ + (1−ρ)E_B[ffᵀ] (paper Eq. 19). */
    rho: unit.default(0.3),
    /** ε: boost of small eigenvalues, p_j = sqrt(max(s_j,0)/max s) + ε (official code's form). */
    eps: nonNegative.default(0.1),
    /** Set W_p from F̂ every `freq` steps; SGD-trained in between when freq > 1. */
    freq: z.number().int().min(1).max(100000).default(1),
    freqPhase,
    bias: z.boolean().default(false),
    /**
     * c_j (paper Table 7): p_j = sqrt(max(s_j/max s − c_j, 1e-4)) + ε, the official code's
     * `dyn_eps_inside=true` with `dyn_eps = −c_j`. Absent means 0 (the plain rule above), and 0 is
     * stored as absent, so setups written before this field keep their hash (the archive reuses runs by it).
     */
    cj: z
      .number()
      .finite()
      .min(-1)
      .max(1)
      .transform((v) => (v === 0 ? undefined : v))
      .optional(),
  })
  .describe('DirectPred: W_p = U diag(p_j) Uᵀ from the eigendecomposition of F̂');
const directcopy = z
  .strictObject({
    kind: z.literal('directcopy'),
    rho: unit.default(0.3),
    eps: nonNegative.default(0.1),
    freq: z.number().int().min(1).max(100000).default(1),
    freqPhase,
    /**
     * Scale of F̂ in W_p = F̂/c + εI: 'lambda-max' divides by λ_max(F̂) (ours, so ε is relative to
     * the top eigenvalue, as DirectPred's p_j are) or 'none' uses F̂ as estimated (official code:
     * luckmatters ssl/real-dataset/byol_trainer.py `compute_w_corr` with `balance_type=direct`,
     * `dyn_convert=1`: `M + dyn_eps·I`, so ε is relative to F̂'s raw scale). Which form the DirectCopy
     * paper (Wang, Chen, Du & Tian 2021, arXiv 2110.04947) states was not checked against its text
     * (none was at hand): 'lambda-max' is the lab's choice, not a claim about the paper.
     */
    normalize: z.enum(['lambda-max', 'none']).default('lambda-max'),
  })
  .describe('DirectCopy: W_p = F̂/λ_max(F̂) + εI, or F̂ + εI');

const optimal = z
  .strictObject({
    kind: z.literal('optimal'),
    /** ρ of both moving averages, F̂ and Ĉ ≈ E[f_a fᵀ] (the same rule as DirectPred's F̂, Eq. 19). */
    rho: unit.default(0.3),
    /** Solve for W_p every `freq` steps (paper Table 1's N); SGD-trained in between when freq > 1. */
    freq: z.number().int().min(1).max(100000).default(1),
    freqPhase,
    /**
     * Ridge λ relative to λ_max(F̂): W_p = ½(Ĉ + Ĉᵀ)(F̂ + λ·λ_max(F̂)·I)⁻¹. The paper solves "with
     * regularisation" and gives no value; the official `trainer.dyn_reg` defaults to null. 0.01 is
     * the lab's choice: it bounds the inverse's gain at 100× on directions F̂ barely spans.
     */
    ridge: z.number().finite().min(0).max(10).default(0.01),
  })
  .describe('plug-in "optimal" linear W_p: least squares from F̂ and the target cross-correlation (paper Table 1)');

/** The predictor part of a setup: one branch per kind, in the order the UI lists them. */
export const PredictorSchema = z.discriminatedUnion('kind', [none, linear, mlp, directpred, directcopy, optimal]);
export type PredictorSetup = z.infer<typeof PredictorSchema>;
export type PredictorKind = PredictorSetup['kind'];

/** The composer's label of each kind (a kind missing here is a type error). */
export const PREDICTOR_LABELS: Record<PredictorKind, string> = {
  none: 'None (identity)',
  linear: 'Linear',
  mlp: '2-layer MLP',
  directpred: 'DirectPred',
  directcopy: 'DirectCopy',
  optimal: 'Optimal (least squares, Table 1)',
};

/** Names of the predictor kinds, in the order the UI lists them. */
export const PREDICTOR_KINDS = PredictorSchema.options.map((o) => o.shape.kind.value) as readonly PredictorKind[];

/**
 * Parameter schemas of the theory simulations (zod, browser-safe). The UI builds its sliders and
 * forms from these; the CLI and every simulate* function validate through them, so a bad value is
 * reported once, with its field path. Symbols follow Tian, Chen & Ganguli (ICML 2021) §2–3:
 * α_p = predictor/online learning-rate ratio, β = EMA rate (αβ = 1 − γ_a), η = weight decay in
 * flow time, σ² = augmentation variance (X' = σ²I), τ = W_a/W ratio of Assumption 1.
 */
import { z } from 'zod';

const finite = z.number().finite();
const nonNegative = finite.nonnegative();
const positive = finite.positive();

/**
 * Most integration steps one request may ask for (all trajectories together): about a few seconds
 * of one core for the small per-step work of these flows. A bigger horizon (t1 = 1e12, dt = 1e-9)
 * would pin a core for days, so the schema refuses it, naming the fields to change.
 */
export const MAX_THEORY_STEPS = 10_000_000;

/** Adds an issue at `path` when `steps` exceeds MAX_THEORY_STEPS; `how` says how the count arose. */
function stepBudget(ctx: z.RefinementCtx, steps: number, path: (string | number)[], how: string): void {
  if (!(steps <= MAX_THEORY_STEPS)) {
    ctx.addIssue({ code: 'custom', path, message: `${how} = ${Number.isFinite(steps) ? steps.toExponential(2) : steps} integration steps, more than the limit of ${MAX_THEORY_STEPS.toExponential(0)} per request; raise dt or lower t1` });
  }
}

/** Checks the fixed-step horizon (RK4: ceil(t1/dt) steps, plus one per sample); dopri5 is capped by maxSteps. */
function horizonBudget(p: { t1: number; samples: number; integrator: IntegratorParams }, ctx: z.RefinementCtx): void {
  if (p.integrator.method === 'rk4') stepBudget(ctx, Math.ceil(p.t1 / p.integrator.dt) + p.samples, ['integrator', 'dt'], `t1/dt = ${p.t1}/${p.integrator.dt}`);
}

/** α_p: predictor learning rate relative to the online network's (> 0). */
export const AlphaPSchema = positive.describe('α_p: predictor learning-rate ratio');
/** β: EMA rate of the target in flow time (≥ 0; αβ = 1 − γ_a). */
export const BetaSchema = nonNegative.describe('β: EMA rate ratio (αβ = 1 − γ_a)');
/** η: weight decay in flow time (≥ 0; actual decay is αη). */
export const EtaSchema = nonNegative.describe('η: weight decay (flow time)');
/** σ²: augmentation variance, X' = σ²I (≥ 0). */
export const Sigma2Schema = nonNegative.describe('σ²: augmentation noise variance');

/** Fixed-step RK4 or adaptive Dormand–Prince 5(4). */
export const IntegratorSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('rk4'), dt: positive.default(0.01).describe('time step') }),
  z.object({
    method: z.literal('dopri5'),
    rtol: positive.default(1e-8).describe('relative tolerance'),
    atol: positive.default(1e-10).describe('absolute tolerance'),
    dtMax: positive.optional().describe('largest step'),
    maxSteps: z.number().int().positive().max(10_000_000).default(10_000_000),
  }),
]);
export type IntegratorParams = z.output<typeof IntegratorSchema>;

const horizon = {
  t1: positive.default(100).describe('end time (flow units)'),
  samples: z.number().int().min(2).max(100_000).default(201).describe('number of recorded time points'),
  integrator: IntegratorSchema.default({ method: 'rk4', dt: 0.01 }),
};

/**
 * How τ evolves: 'ema' = BYOL (Eq. 13, τ(0) = tau0), 'simsiam' = τ ≡ 1, 'fixed-tau' = τ ≡ tau0
 * (the time-independent τ of the paper's Figs. 3, 8, 9).
 */
export const TauModeSchema = z.enum(['ema', 'simsiam', 'fixed-tau']).describe('τ dynamics');
export type TauMode = z.output<typeof TauModeSchema>;

/** Shared scalars of the per-mode dynamics (Eqs. 11–13). */
export const ModeScalarsSchema = z.object({
  target: TauModeSchema.default('ema'),
  alphaP: AlphaPSchema.default(1),
  beta: BetaSchema.default(0.4),
  eta: EtaSchema.default(0.01),
  sigma2: Sigma2Schema.default(0),
  tau0: finite.default(0).describe('τ(0) for ema, the constant τ for fixed-tau; ignored for simsiam'),
});
export type ModeScalars = z.output<typeof ModeScalarsSchema>;

/** Decoupled per-mode simulation (Eqs. 11–13): one (p_j, s_j) pair per mode. */
export const ModesParamsSchema = ModeScalarsSchema.extend({
  modes: z
    .object({
      p0: z.array(finite).min(1).describe('p_j(0): eigenvalues of W_p'),
      s0: z.array(nonNegative).min(1).describe('s_j(0) ≥ 0: eigenvalues of F = W X Wᵀ'),
    })
    .refine((m) => m.p0.length === m.s0.length, { message: 'p0 and s0 must have the same length (one pair per mode)', path: ['s0'] }),
  ...horizon,
}).superRefine(horizonBudget);
export type ModesParams = z.output<typeof ModesParamsSchema>;
export type ModesParamsInput = z.input<typeof ModesParamsSchema>;

const rows = z.array(z.array(finite));

/** Input statistics: X = E[x̄x̄ᵀ] and X' = E[V[x'|x]] (paper §2). */
export const DataSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('isotropic'), sigma2: Sigma2Schema.default(0) }).describe('X = I, X\' = σ²I (Assumption 2)'),
  z
    .object({
      kind: z.literal('spectra'),
      x: z.array(nonNegative).describe('diagonal of X'),
      xPrime: z.array(nonNegative).describe('diagonal of X\''),
    })
    .describe('diagonal X, X\' with user-given spectra'),
  z.object({ kind: z.literal('matrices'), X: rows, XPrime: rows }).describe('full PSD matrices X, X\''),
]);
export type DataParams = z.output<typeof DataSchema>;

/** Full-matrix gradient flow (Eqs. 2–4) and its variants. */
export const FullMatrixParamsSchema = z
  .object({
    n1: z.number().int().min(1).max(1024).default(20).describe('input dimension'),
    n2: z.number().int().min(1).max(1024).default(10).describe('output dimension'),
    alphaP: AlphaPSchema.default(1),
    beta: BetaSchema.default(0.4),
    eta: EtaSchema.default(0.01),
    etaScope: z.enum(['both', 'predictor']).default('both').describe('weight decay on W and W_p, or on W_p only'),
    target: z.enum(['ema', 'simsiam']).default('ema').describe('BYOL (EMA target W_a) or SimSiam (W_a = W)'),
    stopGrad: z.boolean().default(true).describe('stop-gradient on the target branch'),
    predictor: z.enum(['linear', 'symmetric', 'none']).default('linear').describe('trained W_p, symmetrised W_p (Assumption 3), or W_p = I'),
    data: DataSchema.default({ kind: 'isotropic', sigma2: 0 }),
    init: z
      .object({
        seed: z.number().int().default(1),
        wScale: nonNegative.default(0.3).describe('std of W(0) entries × sqrt(n1)'),
        wpScale: nonNegative.default(0.3).describe('std of W_p(0) entries × sqrt(n2)'),
        targetInit: z.enum(['zero', 'copy']).default('zero').describe('W_a(0) = 0 (paper Fig. 7) or W(0)'),
        W: rows.optional(),
        Wp: rows.optional(),
        Wa: rows.optional(),
      })
      .default({ seed: 1, wScale: 0.3, wpScale: 0.3, targetInit: 'zero' }),
    ...horizon,
  })
  .superRefine((p, ctx) => {
    horizonBudget(p, ctx);
    if (!p.stopGrad && p.target !== 'simsiam') {
      ctx.addIssue({ code: 'custom', path: ['stopGrad'], message: 'stopGrad=false needs target "simsiam" (an EMA target gets no gradient anyway; Theorem 2 is the SimSiam case)' });
    }
    const check = (m: number[][] | undefined, r: number, c: number, path: (string | number)[]) => {
      if (!m) return;
      if (m.length !== r || m.some((row) => row.length !== c)) {
        ctx.addIssue({ code: 'custom', path, message: `must be ${r}×${c}, got ${m.length}×${m[0]?.length ?? 0}${m.some((row) => row.length !== m[0]?.length) ? ' (ragged rows)' : ''}` });
      }
    };
    if (p.data.kind === 'spectra') {
      if (p.data.x.length !== p.n1) ctx.addIssue({ code: 'custom', path: ['data', 'x'], message: `must have n1 = ${p.n1} entries, got ${p.data.x.length}` });
      if (p.data.xPrime.length !== p.n1) ctx.addIssue({ code: 'custom', path: ['data', 'xPrime'], message: `must have n1 = ${p.n1} entries, got ${p.data.xPrime.length}` });
    }
    if (p.data.kind === 'matrices') {
      check(p.data.X, p.n1, p.n1, ['data', 'X']);
      check(p.data.XPrime, p.n1, p.n1, ['data', 'XPrime']);
      for (const [name, m] of [['X', p.data.X], ['XPrime', p.data.XPrime]] as const) {
        if (m.length !== p.n1) continue;
        for (let i = 0; i < m.length; i++) {
          for (let j = 0; j < i; j++) {
            if (Math.abs((m[i]![j] ?? 0) - (m[j]![i] ?? 0)) > 1e-9 * (1 + Math.abs(m[i]![j] ?? 0))) {
              ctx.addIssue({ code: 'custom', path: ['data', name, i, j], message: `must be symmetric: (${i},${j}) = ${m[i]![j]} but (${j},${i}) = ${m[j]![i]}` });
              return;
            }
          }
        }
      }
    }
    check(p.init.W, p.n2, p.n1, ['init', 'W']);
    check(p.init.Wp, p.n2, p.n2, ['init', 'Wp']);
    check(p.init.Wa, p.n2, p.n1, ['init', 'Wa']);
  });
export type FullMatrixParams = z.output<typeof FullMatrixParamsSchema>;
export type FullMatrixParamsInput = z.input<typeof FullMatrixParamsSchema>;

/** Reduced dynamics of W_p and F (Eq. 7, or its non-symmetrised Appendix B form) at fixed τ. */
export const ReducedParamsSchema = z
  .object({
    n: z.number().int().min(1).max(512).default(10).describe('dimension of W_p and F'),
    alphaP: AlphaPSchema.default(1),
    eta: EtaSchema.default(0.01),
    sigma2: Sigma2Schema.default(0),
    tau: finite.default(1).describe('fixed τ (1 for SimSiam)'),
    symmetrize: z.boolean().default(true).describe('Eq. 7 (symmetric W_p, Assumption 3) or Appendix B form (W_p free)'),
    init: z
      .object({
        seed: z.number().int().default(1),
        wpScale: nonNegative.default(0.3).describe('std of W_p(0) entries × sqrt(n)'),
        fScale: nonNegative.default(0.3).describe('F(0) = G Gᵀ with G entries of std fScale/sqrt(n)'),
        fFromWp: z.boolean().default(false).describe('F(0) = W_p(0)ᵀW_p(0)/α_p (C = 0, paper Fig. 8)'),
        Wp: rows.optional(),
        F: rows.optional(),
      })
      .default({ seed: 1, wpScale: 0.3, fScale: 0.3, fFromWp: false }),
    ...horizon,
  })
  .superRefine((p, ctx) => {
    horizonBudget(p, ctx);
    for (const [name, m] of [['Wp', p.init.Wp], ['F', p.init.F]] as const) {
      if (m && (m.length !== p.n || m.some((r) => r.length !== p.n))) {
        ctx.addIssue({ code: 'custom', path: ['init', name], message: `must be ${p.n}×${p.n}, got ${m.length}×${m[0]?.length ?? 0}` });
      }
    }
  });
export type ReducedParams = z.output<typeof ReducedParamsSchema>;
export type ReducedParamsInput = z.input<typeof ReducedParamsSchema>;

/** Scalars that a collapse diagram axis may sweep. */
export const AxisParamSchema = z.enum(['eta', 'alphaP', 'beta', 'sigma2', 'tau0']);
export type AxisParam = z.output<typeof AxisParamSchema>;

/** One axis of a collapse phase diagram. */
export const AxisSchema = z
  .object({
    param: AxisParamSchema,
    min: finite,
    max: finite,
    count: z.number().int().min(1).max(2000).default(50),
    scale: z.enum(['linear', 'log']).default('linear'),
  })
  .refine((a) => a.max >= a.min, { message: 'max must be ≥ min', path: ['max'] })
  .refine((a) => a.scale === 'linear' || a.min > 0, { message: 'a log axis needs min > 0', path: ['min'] });
export type Axis = z.output<typeof AxisSchema>;

/** Initial distribution of (p_j(0), s_j(0)) over the modes of every cell. */
export const InitialDistributionSchema = z.discriminatedUnion('kind', [
  z
    .object({ kind: z.literal('pairs'), p0: z.array(finite).min(1), s0: z.array(nonNegative).min(1), weight: z.array(nonNegative).optional() })
    .describe('explicit modes (optionally weighted)'),
  z
    .object({
      kind: z.literal('grid'),
      p: z.tuple([finite, finite]).default([-0.5, 1]),
      s: z.tuple([nonNegative, nonNegative]).default([0.01, 1]),
      countP: z.number().int().min(1).max(1000).default(16),
      countS: z.number().int().min(1).max(1000).default(16),
    })
    .describe('uniform grid of (p, s), cell centres'),
  z
    .object({
      kind: z.literal('parabola'),
      p: z.tuple([finite, finite]).default([0, 0.5]),
      count: z.number().int().min(1).max(100_000).default(64),
      c: finite.default(0).describe('offset c_j: s_j(0) = p_j(0)²/α_p + c'),
    })
    .describe('modes on the parabola s = p²/α_p + c'),
]);
export type InitialDistribution = z.output<typeof InitialDistributionSchema>;

/** Collapse phase diagram: fraction of modes that collapse, over a grid of two parameters. */
export const CollapseDiagramParamsSchema = z
  .object({
    base: ModeScalarsSchema.default({ target: 'ema', alphaP: 1, beta: 0.4, eta: 0.01, sigma2: 0, tau0: 0 }),
    x: AxisSchema,
    y: AxisSchema,
    initial: InitialDistributionSchema.default({ kind: 'parabola', p: [0, 0.5], count: 64, c: 0 }),
    t1: positive.default(200).describe('end time'),
    steps: z.number().int().min(1).max(10_000_000).default(10_000).describe('RK4 steps per mode'),
    collapseThreshold: positive.default(1e-4).describe('a mode has collapsed when s_j(t1) < threshold × max(s_j(0), 1)'),
    earlyExit: z.boolean().default(true).describe('stop a mode once it has converged or clearly collapsed'),
    refine: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(1)
      .describe('1 = every cell exact; B > 1 = compute every B-th cell, then only the B×B blocks whose corners disagree (faster; misses features smaller than B cells inside a uniform block)'),
  })
  .superRefine((p, ctx) => {
    const modes = p.initial.kind === 'pairs' ? p.initial.p0.length : p.initial.kind === 'grid' ? p.initial.countP * p.initial.countS : p.initial.count;
    const modeSteps = p.x.count * p.y.count * modes * p.steps;
    // One RK4 step of one scalar mode costs ~1/50 of a matrix-flow step; early exit usually stops most modes sooner.
    if (modeSteps > 50 * MAX_THEORY_STEPS * 100) {
      ctx.addIssue({ code: 'custom', path: ['steps'], message: `cells × modes × steps = ${p.x.count}×${p.y.count}×${modes}×${p.steps} = ${modeSteps.toExponential(2)} mode-steps, more than the limit of ${(50 * MAX_THEORY_STEPS * 100).toExponential(0)} per request; lower steps, the axis counts or the modes` });
    }
    if (p.x.param === p.y.param) ctx.addIssue({ code: 'custom', path: ['y', 'param'], message: `x and y sweep the same parameter '${p.x.param}'` });
    for (const [k, a] of [['x', p.x], ['y', p.y]] as const) {
      const bad = (a.param === 'alphaP' && a.min <= 0) || (a.param !== 'tau0' && a.min < 0);
      if (bad) ctx.addIssue({ code: 'custom', path: [k, 'min'], message: `${a.param} cannot be ${a.min} (${a.param === 'alphaP' ? 'must be > 0' : 'must be ≥ 0'})` });
    }
    if (p.initial.kind === 'pairs') {
      if (p.initial.p0.length !== p.initial.s0.length) ctx.addIssue({ code: 'custom', path: ['initial', 's0'], message: 'p0 and s0 must have the same length' });
      if (p.initial.weight && p.initial.weight.length !== p.initial.p0.length) ctx.addIssue({ code: 'custom', path: ['initial', 'weight'], message: 'weight must have one entry per mode' });
    }
  });
export type CollapseDiagramParams = z.output<typeof CollapseDiagramParamsSchema>;
export type CollapseDiagramParamsInput = z.input<typeof CollapseDiagramParamsSchema>;

/** Trajectories a planar portrait draws when no `starts` are given (a 5 × 5 spread; portrait.ts). */
export const DEFAULT_STARTS = 25;

/** (p, s) phase portrait at fixed τ (paper Fig. 3). */
export const PhasePortraitParamsSchema = z.object({
  tau: finite.default(1),
  alphaP: AlphaPSchema.default(1),
  eta: EtaSchema.default(0.01),
  sigma2: Sigma2Schema.default(0),
  pRange: z.tuple([finite, finite]).default([-0.5, 1.5]),
  sRange: z.tuple([nonNegative, nonNegative]).default([0, 2]),
  gridP: z.number().int().min(2).max(400).default(25),
  gridS: z.number().int().min(2).max(400).default(25),
  starts: z.array(z.tuple([finite, nonNegative])).optional().describe('trajectory starts (p, s); default: a spread over the window'),
  t1: positive.default(50),
  dt: positive.default(0.01),
}).superRefine((p, ctx) => stepBudget(ctx, Math.ceil(p.t1 / p.dt) * (p.starts?.length ?? DEFAULT_STARTS), ['dt'], `t1/dt × starts = ${p.t1}/${p.dt} × ${p.starts?.length ?? DEFAULT_STARTS}`));
export type PhasePortraitParams = z.output<typeof PhasePortraitParamsSchema>;

/** Phase line of ṗ on the invariant parabola at fixed τ (paper Fig. 4, Eq. 16). */
export const PhaseLineParamsSchema = z.object({
  tau: finite.default(1),
  eta: EtaSchema.default(0.01),
  sigma2: Sigma2Schema.default(0),
  pRange: z.tuple([finite, finite]).default([-0.2, 1.2]),
  count: z.number().int().min(2).max(100_000).default(281),
});
export type PhaseLineParams = z.output<typeof PhaseLineParamsSchema>;

/** Minibatch SGD on sampled Gaussian data beside the flow (same init, same params). */
export const SgdBridgeParamsSchema = z.object({
  flow: FullMatrixParamsSchema,
  lr: positive.default(0.01).describe('SGD learning rate α; step k ↔ flow time kα'),
  batch: z.number().int().min(1).max(1_000_000).default(256),
  seed: z.number().int().default(7).describe('seed of the sampled data and augmentations'),
}).superRefine((p, ctx) => stepBudget(ctx, Math.round(p.flow.t1 / p.lr), ['lr'], `flow.t1/lr = ${p.flow.t1}/${p.lr}`));
export type SgdBridgeParams = z.output<typeof SgdBridgeParamsSchema>;
export type SgdBridgeParamsInput = z.input<typeof SgdBridgeParamsSchema>;

/** Fixed-point query (Eq. 16). */
export const FixedPointParamsSchema = z.object({
  tau: finite,
  sigma2: Sigma2Schema,
  eta: EtaSchema,
  alphaP: AlphaPSchema.default(1),
});
export type FixedPointParams = z.output<typeof FixedPointParamsSchema>;

/** Low-dimensional (w, w_p, w_a) flows of the paper's Appendix D.4 (Fig. 10). */
export const LowDimFlowParamsSchema = z.object({
  variant: z.enum(['fixed-target', 'tied', 'no-predictor']).describe('w_a ≡ 1 / w = w_p / w_p ≡ 1'),
  lambdaS: positive.default(1).describe('λ_s = 1 + σ²'),
  lambdaD: nonNegative.default(0.5).describe('λ_d'),
  alphaP: AlphaPSchema.default(1),
  beta: BetaSchema.default(1),
  range: z.tuple([finite, finite]).default([-2, 2]),
  grid: z.number().int().min(2).max(400).default(21),
  starts: z.array(z.tuple([finite, finite])).optional(),
  t1: positive.default(20),
  dt: positive.default(0.01),
}).superRefine((p, ctx) => stepBudget(ctx, Math.ceil(p.t1 / p.dt) * (p.starts?.length ?? DEFAULT_STARTS), ['dt'], `t1/dt × starts = ${p.t1}/${p.dt} × ${p.starts?.length ?? DEFAULT_STARTS}`));
export type LowDimFlowParams = z.output<typeof LowDimFlowParamsSchema>;

/** Thrown for invalid parameters; the message lists every problem with its field path and value. */
export class TheoryParamsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TheoryParamsError';
  }
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

/** Validates `input` against `schema`; on failure throws TheoryParamsError naming each field. */
export function parseParams<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => {
    const path = i.path.length ? i.path.map(String).join('.') : '(root)';
    const v = valueAt(input, i.path);
    const shown = v === undefined ? '' : ` (got ${typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? JSON.stringify(v) : Array.isArray(v) ? `array of ${v.length}` : typeof v})`;
    return `${path}: ${i.message}${shown}`;
  });
  throw new TheoryParamsError(`${what}: ${problems.join('; ')}`);
}

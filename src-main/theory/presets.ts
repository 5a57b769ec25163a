/**
 * Simulation registry and the paper's figure presets. A simulation spec is { kind, params }; each
 * kind is one registered runner (add a kind by adding one entry to SIMULATIONS). Preset values
 * come from Tian, Chen & Ganguli (ICML 2021) §3 and Appendix (figure table in
 * /work/shared/reference/directpred.md §1.8); values the paper does not state (initial modes,
 * sizes, horizons) are our choices and say so in the description.
 */
import { collapseDiagram, type CollapseDiagram } from './collapse.ts';
import { simulateFullMatrix, type FullMatrixResult } from './fullMatrix.ts';
import { simulateModes, type ModesResult } from './modes.ts';
import { lowDimFlow, phaseLine, phasePortrait } from './portrait.ts';
import { simulateReduced, type ReducedResult } from './reduced.ts';
import { sgdBridge, type SgdBridgeResult } from './sgd.ts';
import { TheoryParamsError } from './params.ts';

/** Runners by kind; each validates its own params. */
export const SIMULATIONS = {
  modes: (p: unknown): ModesResult => simulateModes(p as never),
  'full-matrix': (p: unknown): FullMatrixResult => simulateFullMatrix(p as never),
  reduced: (p: unknown): ReducedResult => simulateReduced(p as never),
  'phase-portrait': (p: unknown) => phasePortrait(p as never),
  'phase-line': (p: unknown) => phaseLine(p as never),
  'low-dim-flow': (p: unknown) => lowDimFlow(p as never),
  'collapse-diagram': (p: unknown): CollapseDiagram => collapseDiagram(p as never),
  'sgd-bridge': (p: unknown): SgdBridgeResult => sgdBridge(p as never),
} as const;

/** Name of a registered simulation kind. */
export type SimulationKind = keyof typeof SIMULATIONS;

/** A simulation request: the kind and its parameters (validated by the runner). */
export interface SimulationSpec {
  kind: SimulationKind;
  params: unknown;
}

/** Output of one simulation, tagged with its kind. */
export type SimulationOutput = { [K in SimulationKind]: { kind: K; result: ReturnType<(typeof SIMULATIONS)[K]> } }[SimulationKind];

/** Runs one spec; unknown kinds and bad params throw TheoryParamsError. */
export function runSimulation(spec: SimulationSpec): SimulationOutput {
  if (!spec || typeof spec !== 'object') throw new TheoryParamsError('simulation: expected an object { kind, params }');
  // Own keys only: a kind such as 'toString' must not find Object.prototype's method.
  const runner = typeof spec.kind === 'string' && Object.hasOwn(SIMULATIONS, spec.kind) ? (SIMULATIONS as Record<string, (p: unknown) => unknown>)[spec.kind] : undefined;
  if (!runner) throw new TheoryParamsError(`simulation: unknown kind ${JSON.stringify(spec.kind)} (known: ${Object.keys(SIMULATIONS).join(', ')})`);
  return { kind: spec.kind, result: runner(spec.params ?? {}) } as SimulationOutput;
}

/** A named preset: one or more runs drawn together (e.g. one per η value). */
export interface Preset {
  name: string;
  figure: string;
  description: string;
  runs: { label: string; spec: SimulationSpec }[];
}

/** Result of a preset: each run's output with its label. */
export interface PresetResult {
  name: string;
  figure: string;
  description: string;
  runs: { label: string; output: SimulationOutput }[];
}

// Fig. 5 initial modes: small random-looking W_p and F spectra (our choice; the paper does not list them).
const FIG5_MODES = { p0: [0.05, -0.1, 0.1, 0.02, -0.05, 0.15, 0.3, 0.05], s0: [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 0.6, 1.0] };

const presetList: Preset[] = [
  ...([0, 0.01, 1] as const).map(
    (eta): Preset => ({
      name: `fig3-eta${eta}`,
      figure: 'Fig. 3',
      // η = 0.01 forgets c_j as e^(−2ηt): t1 = 300 brings it to e^(−6) ≈ 0.25% so trajectories reach the parabola.
      description: `(p, s) phase portrait of Eqs. 11–12 at τ = 1, α_p = 1, σ² = 0, η = ${eta}`,
      runs: [{ label: `η = ${eta}`, spec: { kind: 'phase-portrait', params: { tau: 1, alphaP: 1, eta, sigma2: 0, pRange: [-0.5, 1.5], sRange: [0, 2], t1: eta === 0 ? 20 : eta < 0.1 ? 300 : 100 } } }],
    }),
  ),
  ...(
    [
      ['fig4a', 0, 'η = 0: p = 0 is a saddle'],
      ['fig4b', 0.04, 'small η = 0.04: collapse basin p < p*₋'],
      ['fig4c', 0.3, 'η = 0.3 > τ²/(4(1+σ²)) = 0.25: only p = 0, collapse certain'],
    ] as const
  ).map(
    ([name, eta, what]): Preset => ({
      name,
      figure: 'Fig. 4',
      description: `phase line of ṗ (Eq. 16) at τ = 1, σ² = 0; ${what}`,
      runs: [{ label: `η = ${eta}`, spec: { kind: 'phase-line', params: { tau: 1, eta, sigma2: 0, pRange: [-0.2, 1.2] } } }],
    }),
  ),
  {
    name: 'fig5-wd',
    figure: 'Fig. 5 (top)',
    description: 'BYOL per-mode dynamics (Eqs. 11–13), β = 0.4 (αβ = 0.004 at α = 0.01), τ(0) = 0, weight decay η ∈ {0, 0.01, 0.04, 0.1, 0.3}; 8 modes of our choice',
    runs: [0, 0.01, 0.04, 0.1, 0.3].map((eta) => ({
      label: `η = ${eta}`,
      spec: { kind: 'modes', params: { target: 'ema', alphaP: 1, beta: 0.4, eta, sigma2: 0, tau0: 0, modes: FIG5_MODES, t1: 100, samples: 201, integrator: { method: 'rk4', dt: 0.01 } } },
    })),
  },
  {
    name: 'fig5-ema',
    figure: 'Fig. 5 (bottom)',
    description: 'per-mode dynamics at η = 0.04 with EMA rate β ∈ {0.04, 0.1, 0.4, 1} and without EMA (SimSiam, τ ≡ 1); same 8 modes',
    runs: [
      ...[0.04, 0.1, 0.4, 1].map((beta) => ({
        label: `β = ${beta}`,
        spec: { kind: 'modes' as const, params: { target: 'ema', alphaP: 1, beta, eta: 0.04, sigma2: 0, tau0: 0, modes: FIG5_MODES, t1: 100, samples: 201, integrator: { method: 'rk4', dt: 0.01 } } },
      })),
      { label: 'no EMA (τ ≡ 1)', spec: { kind: 'modes', params: { target: 'simsiam', alphaP: 1, beta: 0, eta: 0.04, sigma2: 0, modes: FIG5_MODES, t1: 100, samples: 201, integrator: { method: 'rk4', dt: 0.01 } } } },
    ],
  },
  {
    name: 'fig7',
    figure: 'Fig. 7',
    description: 'Assumption 1 check: full-matrix BYOL (n1 = 20, n2 = 10, our sizes), σ = 0.03, β = 0.4, W_a(0) = 0, η ∈ {0, 0.01, 0.1}; see series targetCorrelation',
    runs: [0, 0.01, 0.1].map((eta) => ({
      label: `η = ${eta}`,
      spec: { kind: 'full-matrix', params: { n1: 20, n2: 10, alphaP: 1, beta: 0.4, eta, target: 'ema', data: { kind: 'isotropic', sigma2: 0.0009 }, init: { seed: 1, wScale: 0.5, wpScale: 0.5, targetInit: 'zero' }, t1: 50, samples: 101, integrator: { method: 'dopri5', rtol: 1e-8, atol: 1e-10 } } },
    })),
  },
  {
    name: 'fig8',
    figure: 'Fig. 8',
    description: 'non-symmetrised reduced dynamics (Appendix B) at fixed τ = 1, F(0) = W_pᵀW_p (C = 0), n = 10, η ∈ {0.001, 0.01, 0.05}; see wpSymNorm ‖A‖ and wpAntisymNorm ‖B‖',
    runs: [0.001, 0.01, 0.05].map((eta) => ({
      label: `η = ${eta}`,
      spec: { kind: 'reduced', params: { n: 10, alphaP: 1, eta, sigma2: 0, tau: 1, symmetrize: false, init: { seed: 3, wpScale: 1, fScale: 1, fFromWp: true }, t1: 200, samples: 201, integrator: { method: 'dopri5', rtol: 1e-8, atol: 1e-12 } } },
    })),
  },
  {
    name: 'fig9',
    figure: 'Fig. 9',
    description: 'Theorem 3: ‖[F, W_p]‖ over time in the symmetric reduced dynamics (Eq. 7), n = 10, small F(0), for fixed τ ∈ {0.5, 1, 2} × η ∈ {0, 0.01, 0.1}',
    runs: [0.5, 1, 2].flatMap((tau) =>
      [0, 0.01, 0.1].map((eta) => ({
        label: `τ = ${tau}, η = ${eta}`,
        spec: { kind: 'reduced' as const, params: { n: 10, alphaP: 1, eta, sigma2: 0, tau, symmetrize: true, init: { seed: 5, wpScale: 0.5, fScale: 0.01, fFromWp: false }, t1: 50, samples: 201, integrator: { method: 'dopri5', rtol: 1e-8, atol: 1e-12 } } },
      })),
    ),
  },
  ...(
    [
      ['fig10-fixed-target', 'fixed-target', 'w_a ≡ 1: a hyperbola of fixed points w_p w = λ_d/λ_s'],
      ['fig10-tied', 'tied', 'w = w_p: stable fixed point w = w_a = λ_d/λ_s'],
      ['fig10-no-predictor', 'no-predictor', 'w_p ≡ 1: only the collapsed fixed point (λ_d < λ_s; a line w = w_a at λ_d = λ_s)'],
    ] as const
  ).map(
    ([name, variant, what]): Preset => ({
      name,
      figure: 'Fig. 10',
      description: `(w, w_p, w_a) flow of Appendix D.4, λ_s = 1, λ_d = 1/2, α_p = β = 1; ${what}`,
      runs: [{ label: variant, spec: { kind: 'low-dim-flow', params: { variant, lambdaS: 1, lambdaD: 0.5, alphaP: 1, beta: 1, range: [-2, 2] } } }],
    }),
  ),
  {
    name: 'diagram-eta-alphap',
    figure: 'Obs. #1, #4, #5',
    description: 'not a paper figure: collapse fraction over (η, α_p) for BYOL modes on a (p, s) grid, p(0) ∈ [−0.3, 0.6], s(0) ∈ [0.001, 0.1], β = 0.4, τ(0) = 0, σ² = 0',
    runs: [
      {
        label: 'η × α_p',
        spec: { kind: 'collapse-diagram', params: { base: { target: 'ema', alphaP: 1, beta: 0.4, eta: 0.01, sigma2: 0, tau0: 0 }, x: { param: 'eta', min: 0, max: 0.3, count: 30 }, y: { param: 'alphaP', min: 0.1, max: 10, count: 16, scale: 'log' }, initial: { kind: 'grid', p: [-0.3, 0.6], s: [0.001, 0.1], countP: 8, countS: 4 }, t1: 100, steps: 2000 } },
      },
    ],
  },
];

/** The presets by name. */
export const PRESETS: Readonly<Record<string, Preset>> = Object.freeze(Object.fromEntries(presetList.map((p) => [p.name, p])));

/** Runs a preset by name (throws TheoryParamsError naming the known presets if absent). */
/** The preset called `name` (an own key of PRESETS: 'constructor' names none), or undefined. */
export function presetNamed(name: string): Preset | undefined {
  return typeof name === 'string' && Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
}

export function runPreset(name: string): PresetResult {
  const preset = presetNamed(name);
  if (!preset) throw new TheoryParamsError(`unknown preset '${name}' (known: ${Object.keys(PRESETS).join(', ')})`);
  return { name: preset.name, figure: preset.figure, description: preset.description, runs: preset.runs.map((r) => ({ label: r.label, output: runSimulation(r.spec) })) };
}

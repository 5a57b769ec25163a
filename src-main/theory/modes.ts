/**
 * Decoupled per-mode dynamics (Tian, Chen & Ganguli 2021, Eqs. 11–13): with W_p and F sharing
 * eigenvectors, each mode j has p_j (eigenvalue of W_p), s_j (eigenvalue of F) and τ_j:
 *   ṗ = α_p s [τ − (1+σ²)p] − ηp,   ṡ = 2ps [τ − (1+σ²)p] − 2ηs,
 *   τ̇ = β(1 − τ) − τ (ṡ / 2s) = β(1 − τ) − τ (p[τ − (1+σ²)p] − η)     (Eq. 13 divided by s_j)
 * τ ≡ 1 for SimSiam and τ ≡ τ0 for a fixed τ.
 */
import { integrate } from './integrators.ts';
import { fixedPoints } from './closedForms.ts';
import { ModesParamsSchema, parseParams, type ModesParams, type ModesParamsInput, type TauMode } from './params.ts';
import { pushSample, sampleTimes, type TimeSeries } from './series.ts';

/** Result of a per-mode simulation. */
export interface ModesResult {
  params: ModesParams;
  /** Series p_j, s_j, tau_j for each mode j, and eq14Residual = max_j |s_j − p_j²/α_p − e^(−2ηt) c_j|. */
  timeline: TimeSeries;
  /**
   * Final state per mode and its fate (s_j(t1) < 1e-4 · max(s_j(0), 1) counts as collapsed);
   * tauDiverged marks modes frozen after |τ_j| passed TAU_FREEZE.
   */
  final: { p: number[]; s: number[]; tau: number[]; collapsed: boolean[]; tauDiverged: boolean[] };
  /**
   * Fixed points of Eq. 16 at the final τ of `tauMode`, the surviving mode with the largest s_j
   * (τ ≡ 1 for SimSiam); null when every mode collapsed, as a collapsed mode's τ = W_a/W means nothing.
   */
  fixedPointsAtFinalTau: ReturnType<typeof fixedPoints> | null;
  /** The mode whose final τ the fixed points use, or null when every mode collapsed. */
  tauMode: number | null;
  stats: { steps: number; evaluations: number; rejected: number };
}

/**
 * |τ_j| beyond which a mode is frozen. When W shrinks super-exponentially (p_j < 0 and growing τ),
 * Eq. 13 reads τ̇ ≈ |p| τ² and τ = W_a/W blows up in finite time while s_j → 0; the mode has
 * collapsed by then, and freezing it keeps the integration finite.
 */
export const TAU_FREEZE = 1e8;

/** τ(0) of a mode given the τ dynamics. */
export function initialTau(target: TauMode, tau0: number): number {
  return target === 'simsiam' ? 1 : tau0;
}

/** Simulates the decoupled modes (Eqs. 11–13) and records p_j, s_j, τ_j over time. */
export function simulateModes(input: ModesParamsInput | ModesParams): ModesResult {
  const params = parseParams(ModesParamsSchema, input, 'modes');
  const { alphaP, beta, eta, sigma2, target } = params;
  const lambda = 1 + sigma2;
  const m = params.modes.p0.length;
  const y = new Float64Array(3 * m);
  const tau0 = initialTau(target, params.tau0);
  for (let j = 0; j < m; j++) {
    y[j] = params.modes.p0[j]!;
    y[m + j] = params.modes.s0[j]!;
    y[2 * m + j] = tau0;
  }
  const emaTau = target === 'ema';
  const f = (_t: number, st: Float64Array, dy: Float64Array) => {
    for (let j = 0; j < m; j++) {
      const p = st[j]!, s = st[m + j]!, tau = st[2 * m + j]!;
      if (Math.abs(tau) > TAU_FREEZE) {
        // τ_j = W_a/W diverges (Riccati blow-up of Eq. 13) only once s_j has collapsed: freeze the mode.
        dy[j] = 0;
        dy[m + j] = 0;
        dy[2 * m + j] = 0;
        continue;
      }
      const g = tau - lambda * p;
      dy[j] = alphaP * s * g - eta * p;
      dy[m + j] = 2 * p * s * g - 2 * eta * s;
      dy[2 * m + j] = emaTau ? beta * (1 - tau) - tau * (p * g - eta) : 0;
    }
  };
  const c = params.modes.p0.map((p0, j) => params.modes.s0[j]! - (p0 * p0) / alphaP);
  const timeline: TimeSeries = { t: [], series: {} };
  const times = sampleTimes(0, params.t1, params.samples);
  const stats = integrate(f, y, times, params.integrator, (t, st) => {
    const row: Record<string, number> = {};
    let res = 0;
    const decay = Math.exp(-2 * eta * t);
    for (let j = 0; j < m; j++) {
      row[`p_${j}`] = st[j]!;
      row[`s_${j}`] = st[m + j]!;
      row[`tau_${j}`] = st[2 * m + j]!;
      res = Math.max(res, Math.abs(st[m + j]! - (st[j]! * st[j]!) / alphaP - decay * c[j]!));
    }
    row.eq14Residual = res;
    pushSample(timeline, t, row);
  });
  const final = { p: [] as number[], s: [] as number[], tau: [] as number[], collapsed: [] as boolean[], tauDiverged: [] as boolean[] };
  for (let j = 0; j < m; j++) {
    final.p.push(y[j]!);
    final.s.push(y[m + j]!);
    final.tau.push(y[2 * m + j]!);
    final.collapsed.push(y[m + j]! < 1e-4 * Math.max(params.modes.s0[j]!, 1));
    final.tauDiverged.push(Math.abs(y[2 * m + j]!) > TAU_FREEZE);
  }
  let tauMode: number | null = null;
  for (let j = 0; j < m; j++) {
    if (final.collapsed[j] || final.tauDiverged[j]) continue;
    if (tauMode === null || final.s[j]! > final.s[tauMode]!) tauMode = j;
  }
  const fixedPointsAtFinalTau = tauMode === null ? null : fixedPoints({ tau: final.tau[tauMode]!, sigma2, eta, alphaP });
  return { params, timeline, final, fixedPointsAtFinalTau, tauMode, stats };
}

/** Scratch output of `integrateModeFast`: [p, ŝ = α_p s, τ, steps taken]. */
export const fastModeOut = new Float64Array(4);

/**
 * Tight-loop RK4 for one mode in the rescaled variable ŝ = α_p s, in which α_p drops out of the
 * equations (ṗ = ŝ g − ηp, dŝ/dt = 2pŝ g − 2ηŝ, g = τ − (1+σ²)p): trajectories that differ only in
 * α_p with equal α_p s(0) coincide, so the collapse diagram can share them. Writes the final
 * state into `fastModeOut`. With `earlyExit`, stops once the state is stationary (every rate below
 * 1e-13), or, when η > 0, ŝ has fallen below `sFloor` while still shrinking, or the state has
 * entered a 1e-3 neighbourhood of the stable node (p*₊, p*₊², τ_∞) with p*₊² > `sAlive` (so the
 * fate is settled but the final state is then only within 1e-3 of the state at t1). Heuristic
 * exits: the tests check them against full-length integration.
 */
export function integrateModeFast(p: number, sh: number, tau: number, emaTau: boolean, beta: number, eta: number, lambda: number, dt: number, steps: number, earlyExit: boolean, sFloor: number, sAlive = Infinity): void {
  // The stable non-collapsed fixed point (p*₊, ŝ = p*₊², τ = τ_∞) of Eq. 16, when it is well
  // separated from p*₋; τ_∞ = 1 with an EMA (Δ = 0 there, so τ̇ = β(1 − τ)) and τ itself otherwise.
  const tauInf = emaTau ? 1 : tau;
  const disc = tauInf * tauInf - 4 * eta * lambda;
  const pPlus = disc > 0 ? (tauInf + Math.sqrt(disc)) / (2 * lambda) : NaN;
  const pMinus = disc > 0 ? (tauInf - Math.sqrt(disc)) / (2 * lambda) : NaN;
  const nearPlus = earlyExit && pPlus > 0 && pPlus - pMinus > 0.1 * pPlus && pPlus * pPlus > sAlive;
  const tolP = 1e-3 * pPlus, tolS = 1e-3 * pPlus * pPlus;
  const st = fastModeOut;
  st[0] = p;
  st[1] = sh;
  st[2] = tau;
  let k = 0;
  while (k < steps) {
    const P = st[0]!, S = st[1]!, T = st[2]!;
    if (!(Math.abs(T) <= TAU_FREEZE)) break; // see TAU_FREEZE (also stops on NaN)
    if (earlyExit && k > 0) {
      const g = T - lambda * P;
      const a = S * g - eta * P, b = 2 * S * (P * g - eta), c = emaTau ? beta * (1 - T) - T * (P * g - eta) : 0;
      if (Math.abs(a) < 1e-13 && Math.abs(b) < 1e-13 && Math.abs(c) < 1e-13) break;
      // Collapse exit only with η > 0: at η = 0 a shrinking mode can turn around once τ has grown.
      if (eta > 0 && S < sFloor && b < 0) break;
      // Inside a small neighbourhood of the stable node p*₊ (far from p*₋ and far above the
      // collapse threshold) the mode stays alive: its fate is settled.
      if (nearPlus && Math.abs(P - pPlus) < tolP && Math.abs(S - pPlus * pPlus) < tolS && Math.abs(T - tauInf) < 1e-3) break;
    }
    // Branch-free chunks of 16 steps between the checks; the EMA and fixed-τ forms are separate
    // loops so that neither pays for the other's terms.
    const chunk = Math.min(16, steps - k);
    k += emaTau ? rk4ChunkEma(st, chunk, beta, eta, lambda, dt) : rk4ChunkFixedTau(st, chunk, eta, lambda, dt);
  }
  st[3] = k;
}

/** `count` RK4 steps of (p, ŝ, τ) with Eq. 13's τ; stops early past TAU_FREEZE. Returns steps taken. */
function rk4ChunkEma(st: Float64Array, count: number, beta: number, eta: number, lambda: number, h: number): number {
  let p = st[0]!, sh = st[1]!, tau = st[2]!;
  const h2 = 0.5 * h, h6 = h / 6;
  let k = 0;
  for (; k < count && Math.abs(tau) <= TAU_FREEZE; k++) {
    let g = tau - lambda * p;
    let d = p * g - eta;
    const a1 = sh * g - eta * p, b1 = 2 * sh * d, c1 = beta * (1 - tau) - tau * d;
    let pp = p + h2 * a1, ss = sh + h2 * b1, tt = tau + h2 * c1;
    g = tt - lambda * pp;
    d = pp * g - eta;
    const a2 = ss * g - eta * pp, b2 = 2 * ss * d, c2 = beta * (1 - tt) - tt * d;
    pp = p + h2 * a2;
    ss = sh + h2 * b2;
    tt = tau + h2 * c2;
    g = tt - lambda * pp;
    d = pp * g - eta;
    const a3 = ss * g - eta * pp, b3 = 2 * ss * d, c3 = beta * (1 - tt) - tt * d;
    pp = p + h * a3;
    ss = sh + h * b3;
    tt = tau + h * c3;
    g = tt - lambda * pp;
    d = pp * g - eta;
    const a4 = ss * g - eta * pp, b4 = 2 * ss * d, c4 = beta * (1 - tt) - tt * d;
    p += h6 * (a1 + 2 * a2 + 2 * a3 + a4);
    sh += h6 * (b1 + 2 * b2 + 2 * b3 + b4);
    tau += h6 * (c1 + 2 * c2 + 2 * c3 + c4);
  }
  st[0] = p;
  st[1] = sh;
  st[2] = tau;
  return Math.max(k, 1); // a frozen mode still advances the step counter so the outer loop ends
}

/** `count` RK4 steps of (p, ŝ) at constant τ = st[2] (SimSiam: τ ≡ 1). Returns steps taken. */
function rk4ChunkFixedTau(st: Float64Array, count: number, eta: number, lambda: number, h: number): number {
  let p = st[0]!, sh = st[1]!;
  const tau = st[2]!;
  const h2 = 0.5 * h, h6 = h / 6;
  for (let k = 0; k < count; k++) {
    let g = tau - lambda * p;
    const a1 = sh * g - eta * p, b1 = 2 * sh * (p * g - eta);
    let pp = p + h2 * a1, ss = sh + h2 * b1;
    g = tau - lambda * pp;
    const a2 = ss * g - eta * pp, b2 = 2 * ss * (pp * g - eta);
    pp = p + h2 * a2;
    ss = sh + h2 * b2;
    g = tau - lambda * pp;
    const a3 = ss * g - eta * pp, b3 = 2 * ss * (pp * g - eta);
    pp = p + h * a3;
    ss = sh + h * b3;
    g = tau - lambda * pp;
    const a4 = ss * g - eta * pp, b4 = 2 * ss * (pp * g - eta);
    p += h6 * (a1 + 2 * a2 + 2 * a3 + a4);
    sh += h6 * (b1 + 2 * b2 + 2 * b3 + b4);
  }
  st[0] = p;
  st[1] = sh;
  return count;
}

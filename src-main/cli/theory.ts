/**
 * `dplab theory`: runs the paper's linear-network simulations from a preset or a params file and
 * prints a short summary (or the full JSON with --json); `fixed-points` evaluates Eq. 16; `presets`
 * lists the presets. Bad usage or parameters: one line on stderr, exit code 2.
 */
import { parseArgs } from './args.ts';
import { existsSync, readFileSync } from 'node:fs';
import { PRESETS, TheoryParamsError, fixedPoints, presetNamed, runPreset, runSimulation, type PresetResult, type SimulationOutput } from '../theory/index.ts';

const USAGE = `usage:
  dplab theory presets                      list the presets (one line each)
  dplab theory <preset-name> [--json]       run a preset; --json prints the full series
  dplab theory <params.json> [--json]       run {"kind": K, "params": {...}} or {"preset": NAME}
                                            kinds: modes, full-matrix, reduced, phase-portrait, phase-line,
                                            low-dim-flow, collapse-diagram, sgd-bridge
  dplab theory fixed-points --tau T --sigma2 S --eta E [--alpha-p A] [--json]
                                            p*₋, p*₊ of Eq. 16 (null when none) and whether collapse is certain`;

class UsageError extends Error {}

/** Entry point of `dplab theory`; returns the exit code. */
export async function theoryCommand(args: string[]): Promise<number> {
  // `dplab theory … | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  try {
    return run(args);
  } catch (e) {
    if (e instanceof UsageError || e instanceof TheoryParamsError) {
      console.error(`dplab theory: ${(e as Error).message}`);
      return 2;
    }
    console.error(`dplab theory: ${(e as Error).message}`);
    return 1;
  }
}

function run(args: string[]): number {
  const json = args.includes('--json');
  const rest = args.filter((a) => a !== '--json');
  const [head, ...tail] = rest;
  if (!head || head === '--help' || head === '-h' || head === 'help') {
    console.log(USAGE);
    return head ? 0 : 2;
  }
  if (head === 'presets') {
    if (tail.length) throw new UsageError(`'presets' takes no arguments, got ${tail.join(' ')}`);
    if (json) console.log(JSON.stringify(Object.values(PRESETS).map((p) => ({ name: p.name, figure: p.figure, description: p.description, runs: p.runs.map((r) => r.label) })), null, 2));
    else {
      const w = Math.max(...Object.keys(PRESETS).map((n) => n.length));
      for (const p of Object.values(PRESETS)) console.log(`${p.name.padEnd(w)}  ${p.figure.padEnd(16)} ${p.description}`);
    }
    return 0;
  }
  if (head === 'fixed-points') return fixedPointsCommand(tail, json);
  if (tail.length) throw new UsageError(`unexpected argument(s) after '${head}': ${tail.join(' ')}\n${USAGE}`);
  let result: PresetResult;
  if (presetNamed(head)) result = runPreset(head);
  else if (head.endsWith('.json') || existsSync(head)) result = runFile(head);
  else throw new UsageError(`'${head}' is neither a preset (see: dplab theory presets) nor an existing params file`);
  if (json) console.log(JSON.stringify(result));
  else printSummary(result);
  return 0;
}

function runFile(path: string): PresetResult {
  if (!existsSync(path)) throw new UsageError(`params file not found: ${path}`);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new UsageError(`${path}: expected an object {"kind": ..., "params": {...}} or {"preset": ...}`);
  const d = doc as Record<string, unknown>;
  if (typeof d.preset === 'string') return runPreset(d.preset);
  if (typeof d.kind !== 'string') throw new UsageError(`${path}: missing "kind" (one of modes, full-matrix, reduced, phase-portrait, phase-line, low-dim-flow, collapse-diagram, sgd-bridge) or "preset"`);
  try {
    const output = runSimulation({ kind: d.kind as never, params: d.params ?? {} });
    return { name: path, figure: '', description: `${d.kind} from ${path}`, runs: [{ label: String(d.kind), output }] };
  } catch (e) {
    if (e instanceof TheoryParamsError) throw new TheoryParamsError(`${path}: ${e.message}`);
    throw e;
  }
}

function fixedPointsCommand(args: string[], json: boolean): number {
  const names = { tau: 'tau', sigma2: 'sigma2', eta: 'eta', 'alpha-p': 'alphaP' } as const;
  const a = parseArgs(args, { string: Object.keys(names) });
  if (a.error) throw new UsageError(`fixed-points: ${a.error} (options: --tau, --sigma2, --eta, --alpha-p, --json)`);
  if (a.positional.length) throw new UsageError(`fixed-points: unexpected '${a.positional[0]}' (options: --tau, --sigma2, --eta, --alpha-p, --json)`);
  const values: Record<string, number> = {};
  for (const [flag, key] of Object.entries(names)) {
    const raw = a.strings[flag];
    if (raw === undefined) continue;
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`fixed-points: --${flag} must be a finite number, got '${raw}'`);
    values[key] = v;
  }
  for (const need of ['tau', 'sigma2', 'eta'] as const) {
    if (values[need] === undefined) throw new UsageError(`fixed-points: missing --${need}`);
  }
  const fp = fixedPoints({ tau: values.tau!, sigma2: values.sigma2!, eta: values.eta!, alphaP: values.alphaP ?? 1 });
  if (json) console.log(JSON.stringify({ tau: values.tau, sigma2: values.sigma2, eta: values.eta, alphaP: values.alphaP ?? 1, ...fp }));
  else {
    console.log(`τ = ${values.tau}, σ² = ${values.sigma2}, η = ${values.eta}, α_p = ${values.alphaP ?? 1}`);
    console.log(`η threshold τ²/(4(1+σ²)) = ${fmt(fp.etaThreshold)}`);
    if (fp.collapseCertain) console.log('no non-zero fixed point: collapse is certain (η above the threshold)');
    else if (values.eta === 0) console.log(`η = 0: p = 0 is a saddle (no collapse basin on the parabola); p*₊ = τ/(1+σ²) = ${fmt(fp.pPlus!)}, s on the parabola ${fmt(fp.sPlus!)}`);
    else console.log(`p*₋ = ${fmt(fp.pMinus!)} (unstable; modes with p < p*₋ collapse), p*₊ = ${fmt(fp.pPlus!)} (stable), s on the parabola: ${fmt(fp.sMinus!)}, ${fmt(fp.sPlus!)}`);
  }
  return 0;
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e5 ? String(Number(v.toPrecision(4))) : v.toExponential(3);
}

const last = (a: number[] | undefined) => (a && a.length ? a[a.length - 1]! : NaN);

function printSummary(r: PresetResult): void {
  console.log(`${r.name}${r.figure ? ` (${r.figure})` : ''}: ${r.description}`);
  for (const run of r.runs) {
    console.log(`\n[${run.label}]`);
    for (const line of summarize(run.output)) console.log(`  ${line}`);
  }
}

/** A few human-readable lines per simulation kind. */
function summarize(o: SimulationOutput): string[] {
  const out: string[] = [];
  switch (o.kind) {
    case 'modes': {
      const r = o.result;
      const t1 = last(r.timeline.t);
      out.push(`t = 0 → ${fmt(t1)}, ${r.params.target}, α_p = ${r.params.alphaP}, β = ${r.params.beta}, η = ${r.params.eta}, σ² = ${r.params.sigma2}`);
      r.final.p.forEach((p, j) => {
        out.push(`mode ${j}: p ${fmt(r.params.modes.p0[j]!)} → ${fmt(p)}, s ${fmt(r.params.modes.s0[j]!)} → ${fmt(r.final.s[j]!)}, τ → ${fmt(r.final.tau[j]!)}  ${r.final.collapsed[j] ? 'COLLAPSED' : 'alive'}`);
      });
      const fp = r.fixedPointsAtFinalTau;
      const collapsed = `collapsed ${r.final.collapsed.filter(Boolean).length}/${r.final.p.length}`;
      if (fp === null || r.tauMode === null) out.push(`${collapsed}; every mode collapsed, so no τ to place the fixed points of Eq. 16 at`);
      else out.push(`${collapsed}; at τ = ${fmt(r.final.tau[r.tauMode]!)} (mode ${r.tauMode}, the strongest surviving): p*₋ = ${fp.pMinus === null ? 'none' : fmt(fp.pMinus)}, p*₊ = ${fp.pPlus === null ? 'none' : fmt(fp.pPlus)}`);
      out.push(`max Eq. 14 residual ${fmt(Math.max(...r.timeline.series.eq14Residual!))}`);
      break;
    }
    case 'full-matrix':
    case 'sgd-bridge': {
      const r = o.kind === 'full-matrix' ? o.result : o.result.flow;
      const s = r.timeline.series;
      const p = r.params;
      out.push(`${p.target}${p.stopGrad ? '' : ', no stop-grad'}, predictor ${p.predictor}, n1 = ${p.n1}, n2 = ${p.n2}, α_p = ${p.alphaP}, β = ${p.beta}, η = ${p.eta}${p.etaScope === 'predictor' ? ' (W_p only)' : ''}, t1 = ${p.t1}`);
      const corr = s.targetCorrelation!.slice(1);
      out.push(`‖W‖: ${fmt(s.normW![0]!)} → ${fmt(last(s.normW))}, ‖W_p‖: ${fmt(s.normWp![0]!)} → ${fmt(last(s.normWp))}, corr(W_a, W): min over t > 0 ${fmt(Math.min(...corr))}, at end ${fmt(last(corr))}`);
      if (s.theorem1Residual) out.push(`Theorem 1 residual: max ${fmt(Math.max(...s.theorem1Residual))} (relative to ‖WWᵀ‖: ${fmt(Math.max(...s.theorem1Relative!))})${r.theorem1Applies ? '' : ' — Theorem 1 does not cover this variant'}`);
      else out.push('Theorem 1 does not apply (no trained predictor)');
      out.push(`‖[F, W_p]‖: ${fmt(s.commutator![0]!)} → ${fmt(last(s.commutator))}; ‖antisym W_p‖ → ${fmt(last(s.wpAntisymNorm))}`);
      const k = Math.min(p.n2, 5);
      out.push(`top eig F: ${Array.from({ length: k }, (_, j) => fmt(last(s[`F_eig_${j}`]))).join(', ')}`);
      out.push(`top eig W_p: ${Array.from({ length: k }, (_, j) => fmt(last(s[`Wp_eig_${j}`]))).join(', ')}`);
      out.push(`alignment u_jᵀW_p u_j/‖W_p u_j‖: ${Array.from({ length: k }, (_, j) => fmt(last(s[`align_${j}`]))).join(', ')}`);
      if (o.kind === 'sgd-bridge') {
        out.push(`SGD lr ${o.result.params.lr}, batch ${o.result.params.batch}, ${o.result.steps} steps: max ‖W_sgd − W_flow‖/‖W_flow‖ = ${fmt(o.result.maxGapW)}, at end ${fmt(last(o.result.gap.series.gapW))}`);
      }
      break;
    }
    case 'reduced': {
      const r = o.result;
      const s = r.timeline.series;
      out.push(`n = ${r.params.n}, τ = ${r.params.tau}, α_p = ${r.params.alphaP}, η = ${r.params.eta}, σ² = ${r.params.sigma2}, ${r.params.symmetrize ? 'symmetric (Eq. 7)' : 'non-symmetrised (Appendix B)'}`);
      out.push(`‖[F, W_p]‖: ${fmt(s.commutator![0]!)} → max ${fmt(Math.max(...s.commutator!))} → ${fmt(last(s.commutator))}`);
      out.push(`min λ_min(K) = ${fmt(r.lambda0)}${r.lambda0 > 0 ? ' > 0: Theorem 3 bound applies' : ' ≤ 0: no alignment guarantee'}`);
      out.push(`‖A‖ (sym W_p) → ${fmt(last(s.wpSymNorm))}, ‖B‖ (antisym W_p) → ${fmt(last(s.wpAntisymNorm))}, ‖F‖ → ${fmt(last(s.normF))}`);
      break;
    }
    case 'phase-portrait':
    case 'low-dim-flow': {
      const r = o.result;
      out.push(`field ${r.gridX.length}×${r.gridY.length}, ${r.trajectories.length} trajectories`);
      for (const f of r.fixedPoints) out.push(`fixed point ${f.label} at (${fmt(f.x)}, ${fmt(f.y)}): ${f.stability}${f.kind ? ` (${f.kind})` : ''}`);
      for (const l of r.fixedLines) out.push(`line of fixed points ${l.label}`);
      if (o.kind === 'low-dim-flow') for (const c of o.result.fixedCurve ?? []) out.push(c.label);
      break;
    }
    case 'phase-line': {
      const r = o.result;
      out.push(`τ = ${r.params.tau}, η = ${r.params.eta}, σ² = ${r.params.sigma2}; threshold η = ${fmt(r.etaThreshold)}${r.collapseCertain ? ': collapse certain' : ''}`);
      for (const f of r.fixedPoints) out.push(`p = ${fmt(f.p)} (${f.label}): ${f.stability}`);
      break;
    }
    case 'collapse-diagram': {
      const r = o.result;
      const all = r.fraction.flat();
      out.push(`${r.x.length}×${r.y.length} cells over ${r.xParam} ∈ [${fmt(r.x[0]!)}, ${fmt(last(r.x))}] × ${r.yParam} ∈ [${fmt(r.y[0]!)}, ${fmt(last(r.y))}], ${r.stats.modesPerCell} modes per cell`);
      out.push(`mean collapsed fraction ${fmt(all.reduce((a, b) => a + b, 0) / all.length)}; ${r.stats.trajectories} trajectories integrated, ${r.stats.sharedTrajectories} shared, ${r.stats.rk4Steps} RK4 steps${r.divergedCells ? `; ${r.divergedCells} cells diverged` : ''}`);
      out.push(`map (rows: ${r.yParam} high → low; columns: ${r.xParam} low → high; ' ' none … '#' all collapse):`);
      const shades = ' .:-=+*%#';
      const rows = Math.min(r.y.length, 16), cols = Math.min(r.x.length, 60);
      for (let i = rows - 1; i >= 0; i--) {
        const iy = Math.floor(((i + 0.5) / rows) * r.y.length);
        let line = '';
        for (let c = 0; c < cols; c++) {
          const ix = Math.floor(((c + 0.5) / cols) * r.x.length);
          line += shades[Math.round(r.fraction[iy]![ix]! * (shades.length - 1))];
        }
        out.push(`|${line}|`);
      }
      break;
    }
  }
  return out;
}

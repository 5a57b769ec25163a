/**
 * The invariance dataset's ablation at lab scale: DirectPred, an SGD-trained linear predictor (α_p
 * = 1 and 10), no predictor (BYOL) and no stop-gradient (SimSiam), each over seeds, one `dplab run` at a time
 * (--setup, default examples/invariance-lab.json: the reproduce claims' lab-scale base with the
 * DirectPred arm; one wasm thread), into an archive; then a table of the
 * linear probe and kNN accuracy (mean ± std over seeds) beside each variant's random-init baseline
 * (its own step-0 evaluation), and the collapse indicators.
 *
 *   npm run bench -- invariance [--setup FILE] [--seeds 1,2,3] [--steps N] [--archive FILE] [--prefix inv] [--table-only]
 *
 * --table-only prints the table of the runs already in --archive (named <prefix>-<variant>-s<seed>).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openArchive } from '../src-main/archive/archive.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const seeds = opt('--seeds', '1,2,3').split(',').map(Number);
const steps = opt('--steps', '');
const setupFile = opt('--setup', 'examples/invariance-lab.json');
const archive = opt('--archive', 'bench-invariance.sqlite');
/** Runs are named <prefix>-<variant>-s<seed>; the table reads the same names. */
const prefix = opt('--prefix', 'inv');

/** The variants: `--set` overrides of the setup, as the claims' arms of the same names patch it. */
const VARIANTS: Array<{ name: string; sets: string[] }> = [
  { name: 'nosg', sets: ['method=simsiam', 'stopGradient=false', 'predictor={"kind":"linear","bias":false}'] },
  { name: 'none', sets: ['predictor={"kind":"none"}'] },
  { name: 'linear', sets: ['predictor={"kind":"linear","bias":false}'] },
  // The same linear predictor learning 10× faster (α_p = 10), as the paper's Fig. 5 favours.
  { name: 'linear10', sets: ['predictor={"kind":"linear","bias":false}', 'optim.predictorLrRatio=10'] },
  { name: 'directpred', sets: [] },
];

if (!args.includes('--table-only')) {
  for (const seed of seeds) {
    for (const v of VARIANTS) {
      const sets = [`name=${prefix}-${v.name}-s${seed}`, `seed=${seed}`, ...v.sets, ...(steps ? [`optim.maxSteps=${steps}`] : [])];
      const t0 = Date.now();
      const r = spawnSync(process.execPath, ['bin/dplab.mjs', 'run', setupFile, '--archive', archive, '--threads', '1', '--quiet', ...sets.flatMap((s) => ['--set', s])], { cwd: ROOT, encoding: 'utf8' });
      console.log(`${prefix}-${v.name}-s${seed}: exit ${r.status}, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      if (r.status !== 0) console.log(r.stderr.split('\n').slice(-5).join('\n'));
    }
  }
}

if (!existsSync(archive)) {
  console.error(`no archive ${archive}`);
  process.exit(2);
}
const runs = openArchive(archive, { readonly: true }).listRuns({ status: 'completed' });
const stat = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const s = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  return `${(100 * m).toFixed(1)} ± ${(100 * s).toFixed(1)}`;
};
const num = (xs: number[], digits: number) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const s = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  return `${m.toFixed(digits)} ± ${s.toFixed(digits)}`;
};
console.log('\n| variant | seeds | probe % | kNN % | random-init probe % | random-init kNN % | collapseStd | effective rank |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const v of VARIANTS) {
  const mine = runs.filter((r) => r.name?.startsWith(`${prefix}-${v.name}-s`) && r.summary);
  if (!mine.length) continue;
  const get = (f: (r: (typeof mine)[number]) => number | null | undefined) => mine.map(f).filter((x): x is number => typeof x === 'number');
  console.log(
    `| ${v.name} | ${mine.map((r) => r.seed).sort((a, b) => a - b).join(',')} | ${stat(get((r) => r.summary!.probeAcc))} | ${stat(get((r) => r.summary!.knnAcc))} | ` +
      `${stat(get((r) => r.summary!.baseline?.probeAcc))} | ${stat(get((r) => r.summary!.baseline?.knnAcc))} | ` +
      `${num(get((r) => r.summary!.collapseStd), 2)} | ${num(get((r) => r.summary!.effectiveRank), 1)} |`,
  );
}

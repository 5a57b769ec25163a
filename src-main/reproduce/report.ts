/**
 * The reproduction report: per claim the paper's statement, its protocol (each test's kind, margin
 * and why), the verdict, our tables (mean ± std over seeds, the random-init baseline, paired
 * differences with their repeated confidence interval, every seed's values), the plots and the
 * scale it ran at. Rendered as one self-contained HTML file (inline SVG, no scripts, no external
 * resources) and as Markdown with the same plots as SVG files beside it. Pure string building.
 */
import { looksAt } from '../math/sequential.ts';
import { ARMS, DEVELOPMENT_SEEDS, EVAL_SEED_BASE, LAB_BASE, MEASURES, type MeasureName, type TheoryOutcome } from './claims.ts';
import { ALPHA, DEFAULT_MAX_SEEDS, type ArmSummary, type ClaimResult, type Verdict } from './verdict.ts';

/** Where and how the claims were run, printed at the top of the report. */
export interface ReportContext {
  date: string;
  machine: string;
  /** The training runs' time: first start to last end (`spanSec`, runs in parallel) and the sum of their own wall times; null without runs. */
  training: { spanSec: number; runSec: number; runs: number } | null;
  seeds: number[];
  backend: string;
  appVersion: string;
  /** The base setup file when not the lab-scale base (its name goes into the report). */
  base?: string | null;
  /** The N of the sequential design the verdicts were read under (default DEFAULT_MAX_SEEDS). */
  maxSeeds?: number;
  /** Per claim, the seeds it was judged on when rounds of seeds stopped at different looks (`--until-decided`). */
  seedsByClaim?: Record<string, number[]>;
}

/** One plot of the report: a file name (for Markdown) and its SVG. */
export interface ReportFigure {
  file: string;
  svg: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (x: number | null | undefined, digits = 3) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : x.toFixed(digits));
// Plain words: emoji fonts are missing on many Linux desktops (seen as empty boxes in Chromium).
const VERDICT_MARK: Record<Verdict, string> = { reproduced: 'reproduced', 'not reproduced': 'NOT reproduced', inconclusive: 'inconclusive', 'not run': 'not run' };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f'];

function meanStd(s: { mean: number; std: number; n: number } | null | undefined): string {
  if (!s) return '—';
  return s.n > 1 ? `${num(s.mean)} ± ${num(s.std)}` : num(s.mean);
}

/** Dot plot: per arm, each seed's final value (filled) and random-init value (hollow). */
export function dotPlotSvg(title: string, measure: MeasureName, arms: readonly ArmSummary[]): string {
  const W = 560;
  const H = 240;
  const L = 60;
  const B = 58;
  const T = 28;
  const pts = arms.flatMap((a) => (a.perSeed[measure] ?? []).flatMap((p) => (p.baseline === null ? [p.value] : [p.value, p.baseline])));
  if (pts.length === 0) {
    return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} 60" width="${W}" height="60" font-family="sans-serif"><text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text><text x="${W / 2}" y="42" text-anchor="middle" font-size="12" fill="#777">no finished runs yet</text></svg>`;
  }
  let lo = Math.min(...pts, 0);
  let hi = Math.max(...pts, 1e-12);
  if (measure === 'probeAcc' || measure === 'knnAcc') [lo, hi] = [Math.min(lo, 0), Math.max(hi, 1)];
  const pad = (hi - lo) * 0.05 || 1;
  lo -= pad;
  hi += pad;
  const y = (v: number) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
  const colW = (W - L - 10) / Math.max(arms.length, 1);
  const parts: string[] = [];
  parts.push(`<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>`);
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    parts.push(`<line x1="${L}" x2="${W - 10}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/><text x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11">${esc(num(v, 2))}</text>`);
  }
  arms.forEach((a, i) => {
    const cx = L + colW * (i + 0.5);
    const c = COLORS[i % COLORS.length]!;
    for (const p of a.perSeed[measure] ?? []) {
      const jitter = ((p.seed % 5) - 2) * 4;
      if (p.baseline !== null) parts.push(`<circle cx="${(cx - 14 + jitter).toFixed(1)}" cy="${y(p.baseline).toFixed(1)}" r="4" fill="none" stroke="${c}"/>`);
      parts.push(`<circle cx="${(cx + 14 + jitter).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="4.5" fill="${c}"/>`);
    }
    const m = a.final[measure];
    if (m) parts.push(`<line x1="${(cx + 2).toFixed(1)}" x2="${(cx + 26).toFixed(1)}" y1="${y(m.mean).toFixed(1)}" y2="${y(m.mean).toFixed(1)}" stroke="${c}" stroke-width="2"/>`);
    const words = a.label.split(' ');
    const lines: string[] = [''];
    for (const w of words) {
      if ((lines.at(-1)! + ' ' + w).length > Math.max(12, colW / 6.5) && lines.at(-1)) lines.push(w);
      else lines[lines.length - 1] = lines.at(-1) ? `${lines.at(-1)} ${w}` : w;
    }
    lines.slice(0, 3).forEach((ln, k) => parts.push(`<text x="${cx.toFixed(1)}" y="${H - B + 16 + k * 13}" text-anchor="middle" font-size="11">${esc(ln)}</text>`));
  });
  parts.push(`<text x="14" y="${(T + (H - T - B) / 2).toFixed(1)}" font-size="11" transform="rotate(-90 14 ${(T + (H - T - B) / 2).toFixed(1)})" text-anchor="middle">${esc(MEASURES[measure].label)}</text>`);
  parts.push(`<text x="${W - 10}" y="${H - 4}" text-anchor="end" font-size="10" fill="#555">● final (per seed, bar = mean)   ○ random init (step 0)</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif">${parts.join('')}</svg>`;
}

/** Line plot of a theory check's curves (log y when asked; non-positive values are left out). */
export function linePlotSvg(plot: TheoryOutcome['curves'][number]): string {
  const W = 560;
  const H = 240;
  const L = 64;
  const B = 36;
  const T = 28;
  const R = 200;
  const tr = (v: number) => (plot.log ? (v > 0 ? Math.log10(v) : NaN) : v);
  const xs = plot.lines.flatMap((l) => l.x).filter(Number.isFinite);
  const ys = plot.lines.flatMap((l) => l.y.map(tr)).filter(Number.isFinite);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y1 - y0 < 1e-12) [y0, y1] = [y0 - 1, y1 + 1];
  const px = (v: number) => L + ((W - L - R) * (v - x0)) / (x1 - x0 || 1);
  const py = (v: number) => T + (H - T - B) * (1 - (v - y0) / (y1 - y0));
  const parts: string[] = [`<text x="${(W - R + L) / 2}" y="16" text-anchor="middle" font-size="13">${esc(plot.title)}</text>`];
  for (let k = 0; k <= 4; k++) {
    const v = y0 + ((y1 - y0) * k) / 4;
    const label = plot.log ? `1e${v.toFixed(1)}` : num(v, 2);
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${py(v).toFixed(1)}" y2="${py(v).toFixed(1)}" stroke="#ddd"/><text x="${L - 6}" y="${(py(v) + 4).toFixed(1)}" text-anchor="end" font-size="11">${esc(label)}</text>`);
  }
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle" font-size="11">${esc(plot.xLabel)}</text>`);
  for (const v of [x0, (x0 + x1) / 2, x1]) parts.push(`<text x="${px(v).toFixed(1)}" y="${H - B + 14}" text-anchor="middle" font-size="11">${esc(num(v, 2))}</text>`);
  plot.lines.forEach((l, i) => {
    const c = COLORS[i % COLORS.length]!;
    const segs: string[] = [];
    let pen = false;
    l.x.forEach((xv, k) => {
      const yv = tr(l.y[k]!);
      if (!Number.isFinite(yv) || !Number.isFinite(xv)) {
        pen = false;
        return;
      }
      segs.push(`${pen ? 'L' : 'M'}${px(xv).toFixed(1)},${py(yv).toFixed(1)}`);
      pen = true;
    });
    const dash = l.label.endsWith('bound') ? ' stroke-dasharray="4 3"' : '';
    parts.push(`<path d="${segs.join('')}" fill="none" stroke="${c}" stroke-width="1.5"${dash}/>`);
    parts.push(`<line x1="${W - R + 8}" x2="${W - R + 24}" y1="${T + 6 + i * 14}" y2="${T + 6 + i * 14}" stroke="${c}" stroke-width="2"${dash}/><text x="${W - R + 28}" y="${T + 10 + i * 14}" font-size="10">${esc(l.label)}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif">${parts.join('')}</svg>`;
}

/** The plots of one claim, named `<claim>-<n>.svg`. */
export function claimFigures(r: ClaimResult): ReportFigure[] {
  if (r.kind === 'theory') return r.outcome.curves.filter((c) => c.lines.length > 0).map((c, i) => ({ file: `${r.claim.id}-${i + 1}.svg`, svg: linePlotSvg(c) }));
  const measures = [...new Set(r.claim.tests.map((t) => t.measure))];
  // The claim's title is the section's heading; the plot names its measure (long titles would be cut at the plot's width).
  return measures.map((m, i) => ({ file: `${r.claim.id}-${i + 1}.svg`, svg: dotPlotSvg(`${MEASURES[m].label} per seed: final and at random init`, m, r.arms) }));
}

function scaleLine(): string {
  const b = LAB_BASE as { data?: { dataset?: string }; optim?: { maxSteps?: number; batchSize?: number }; encoder?: { widths?: number[] } };
  return `dataset ${b.data?.dataset ?? 'default'}, ConvNet widths ${JSON.stringify(b.encoder?.widths ?? [])}, ${b.optim?.maxSteps ?? '?'} steps of batch ${b.optim?.batchSize ?? '?'}`;
}

/** Rows of the arms table (Markdown). */
function armsTable(r: Extract<ClaimResult, { kind: 'experiment' }>): string[] {
  const measures = [...new Set(r.claim.tests.map((t) => t.measure))];
  const head = `| arm | runs | ${measures.map((m) => `${MEASURES[m].label} (final) | ${MEASURES[m].label} (random init)`).join(' | ')} |`;
  const sep = `| --- | --- | ${measures.map(() => '--- | ---').join(' | ')} |`;
  const rows = r.arms.map((a) => `| ${a.label} | ${a.runs} | ${measures.map((m) => `${meanStd(a.final[m])} | ${meanStd(a.baseline[m])}`).join(' | ')} |`);
  return [head, sep, ...rows];
}

function testsTable(r: Extract<ClaimResult, { kind: 'experiment' }>): string[] {
  return [
    '| # | test | seeds | paired difference (mean ± std) | repeated CI | verdict | why |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...r.tests.map(
      (t, i) =>
        `| ${i + 1} | \`${t.description}\` | ${t.seeds.length} | ${t.difference ? meanStd(t.difference) : '—'} | ${t.difference?.ci ? `${Math.round(t.difference.level * 100)}% [${num(t.difference.ci[0])}, ${num(t.difference.ci[1])}]` : '—'} | ${t.verdict} | ${t.reason} |`,
    ),
  ];
}

/** The claim's protocol, fixed before the runs: per test its kind, margin and why. */
function protocolTable(r: Extract<ClaimResult, { kind: 'experiment' }>): string[] {
  return ['| # | test | protocol | margin | why this margin |', '| --- | --- | --- | --- | --- |', ...r.tests.map((t, i) => `| ${i + 1} | \`${t.description}\` | ${t.protocol} | ${num(t.test.margin, 3)} ${MEASURES[t.test.measure].label} | ${t.test.rationale} |`)];
}

/** Every seed of every test: a's value and random init, the reference's value, their difference. */
function perSeedTable(r: Extract<ClaimResult, { kind: 'experiment' }>): string[] {
  const rows = r.tests.flatMap((t, i) => {
    const ref = 'arm' in t.test.reference ? `${t.test.reference.arm} (final)` : `${t.test.reference.baselineOf} (random init)`;
    return t.pairs.map((p) => `| ${i + 1} | ${p.seed} | ${t.test.measure} | ${t.test.a} | ${num(p.a)} | ${num(p.aInit)} | ${ref} | ${num(p.reference)} | ${num(p.difference)} |`);
  });
  if (rows.length === 0) return [];
  return ['| # | seed | measure | arm | value | random init | reference | reference value | paired difference |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |', ...rows];
}

/** The seed range words: which seeds were judged, and whether they lie apart from the tuning seeds. */
function seedsLine(seeds: readonly number[]): string {
  const dev = seeds.filter((s) => s >= DEVELOPMENT_SEEDS.from && s <= DEVELOPMENT_SEEDS.to);
  const where = seeds.length === 0 ? '' : dev.length === 0 ? (seeds.every((s) => s >= EVAL_SEED_BASE) ? ' (evaluation seeds: no tuning touched them)' : '') : ` (${dev.length} of them development seeds, which tuned the lab scale: read these verdicts as on tuning data)`;
  return `seeds judged: ${seeds.length ? seeds.join(', ') : 'none'}${where}; development seeds ${DEVELOPMENT_SEEDS.from}–${DEVELOPMENT_SEEDS.to} tuned the dataset, the step count and the α_p = 10 arm; evaluation seeds start at ${EVAL_SEED_BASE}`;
}

/** The Markdown report; figures are referenced as `<dir>/<file>` (write them with `claimFigures`). */
export function markdownReport(results: readonly ClaimResult[], ctx: ReportContext, figureDir = 'figures'): string {
  const out: string[] = [];
  out.push('# The paper’s claims, run at lab scale');
  out.push('');
  out.push('Tian, Chen & Ganguli, “Understanding Self-Supervised Learning Dynamics without Contrastive Pairs” (ICML 2021). Generated by `dplab reproduce report`.');
  out.push('');
  out.push(`- date: ${ctx.date}; machine: ${ctx.machine}; backend: ${ctx.backend}; lab version ${ctx.appVersion}`);
  out.push(`- ${seedsLine(ctx.seeds)}`);
  out.push(`- experiments: ${ctx.base ? `base setup ${ctx.base}` : scaleLine()}; seeds ${ctx.seeds.join(', ')}; training: ${ctx.training ? `${ctx.training.runs} runs, ${(ctx.training.spanSec / 60).toFixed(1)} min from the first start to the last end (${(ctx.training.runSec / 60).toFixed(1)} min summed over runs)` : 'no runs yet'}`);
  out.push(
    `- verdict rule (fixed before the runs, each test's protocol below): paired differences over seeds with a group-sequential repeated confidence interval (Lan & DeMets 1983 α-spending, Pocock-type, on t statistics with boundaries from their simulated null law; repeated intervals of Jennison & Turnbull 1989), looks at ${looksAt(ctx.maxSeeds ?? DEFAULT_MAX_SEEDS, ctx.maxSeeds ?? DEFAULT_MAX_SEEDS).join(', ')} seeds (N = ${ctx.maxSeeds ?? DEFAULT_MAX_SEEDS}), so a verdict may be read after every round of seeds; α = ${ALPHA} two-sided. Superiority: reproduced when the 95% interval lies beyond the margin on the claimed side, not reproduced when it lies short of it; non-inferiority: reproduced when it lies above −margin, not reproduced below; equivalence: two one-sided tests (Schuirmann 1987), reproduced when the 90% interval lies inside ±margin, not reproduced when wholly outside; inconclusive otherwise (and below 3 seeds); not run without a seed with values on both sides. A claim holds when all its tests hold (intersection-union, Berger 1982). Theory claims: reproduced when every computed condition holds.`,
  );
  out.push('');
  out.push('| claim | paper | verdict |');
  out.push('| --- | --- | --- |');
  for (const r of results) out.push(`| [${r.claim.title}](#${r.claim.id}) | ${r.claim.paper.where} | ${VERDICT_MARK[r.verdict]} |`);
  out.push('');
  for (const r of results) {
    out.push(`## ${r.claim.title}`);
    out.push(`<a id="${r.claim.id}"></a>`);
    out.push('');
    out.push(`**Paper** (${r.claim.paper.where}): ${r.claim.paper.statement}`);
    out.push('');
    if (r.kind === 'experiment') {
      out.push('**Protocol**');
      out.push('');
      out.push(...protocolTable(r));
      out.push('');
    }
    out.push(`**Verdict: ${VERDICT_MARK[r.verdict]}**`);
    out.push('');
    if (r.kind === 'experiment') {
      const own = ctx.seedsByClaim?.[r.claim.id];
      if (ctx.seedsByClaim) out.push(own?.length ? `Seeds: ${own.length} (${own[0]}–${own.at(-1)}), added in rounds until every test was decided or N was reached.` : 'Seeds: none.', '');
      out.push(`Arms: ${r.claim.arms.map((a) => ARMS[a].label).join('; ')}. Scale: ${r.claim.scaleNote}`);
      out.push('');
      out.push(...armsTable(r));
      out.push('');
      out.push(...testsTable(r));
      const perSeed = perSeedTable(r);
      if (perSeed.length) out.push('', 'Per seed:', '', ...perSeed);
      if (r.missing.length) out.push('', `Runs missing or not completed: ${r.missing.join('; ')}.`);
    } else {
      out.push(`Computed: ${r.claim.method}`);
      out.push('');
      out.push('| quantity | value | condition | holds |');
      out.push('| --- | --- | --- | --- |');
      for (const e of r.outcome.evidence) out.push(`| ${e.label} | ${num(e.value, 4)} | ${e.condition} | ${e.holds ? 'yes' : 'no'} |`);
    }
    out.push('');
    for (const f of claimFigures(r)) out.push(`![${r.claim.id}](${figureDir}/${f.file})`, '');
  }
  return out.join('\n');
}

/** The self-contained HTML report (same content, plots inline). */
export function htmlReport(results: readonly ClaimResult[], ctx: ReportContext): string {
  // Markdown tables → HTML tables by a small line-based conversion (our own output, so its shape is known).
  const md = markdownReport(results, ctx, '');
  const figures = new Map(results.flatMap((r) => claimFigures(r)).map((f) => [f.file, f.svg]));
  const html: string[] = [];
  let table: string[] | null = null;
  const inline = (s: string) =>
    esc(s)
      .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
      .replace(/`(.+?)`/g, '<code>$1</code>')
      .replace(/\[(.+?)\]\(#(.+?)\)/g, '<a href="#$2">$1</a>');
  const verdictClass: Record<string, string> = { reproduced: 'v-yes', 'NOT reproduced': 'v-no', 'not reproduced': 'v-no', inconclusive: 'v-maybe', 'not run': 'v-none' };
  const cell = (c: string) => (verdictClass[c] ? `<span class="${verdictClass[c]}">${esc(c)}</span>` : inline(c));
  const flush = () => {
    if (!table) return;
    const [head, , ...rows] = table;
    const cells = (l: string) => l.slice(1, -1).split(' | ').map((c) => c.trim());
    html.push(`<table><thead><tr>${cells(head!).map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${cells(r).map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`);
    table = null;
  };
  for (const line of md.split('\n')) {
    if (line.startsWith('|')) {
      (table ??= []).push(line);
      continue;
    }
    flush();
    const fig = /^!\[.*\]\(\/?(.+)\)$/.exec(line);
    if (fig) html.push(`<figure>${figures.get(fig[1]!) ?? ''}</figure>`);
    else if (line.startsWith('# ')) html.push(`<h1>${inline(line.slice(2))}</h1>`);
    else if (line.startsWith('## ')) html.push(`<h2>${inline(line.slice(3))}</h2>`);
    else if (line.startsWith('<a id="')) html.push(line);
    else if (line.startsWith('- ')) html.push(`<p class="meta">${inline(line.slice(2))}</p>`);
    else if (line.startsWith('**Verdict: ')) {
      const v = line.slice('**Verdict: '.length, -2);
      html.push(`<p><strong>Verdict: ${cell(v)}</strong></p>`);
    } else if (line.trim()) html.push(`<p>${inline(line)}</p>`);
  }
  flush();
  const style =
    'body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:.6em 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;text-align:left}th{background:#f4f4f4}h2{margin-top:2em;border-top:1px solid #ddd;padding-top:1em}.meta{margin:.2em 0;color:#444}code{font-size:12px}figure{margin:.5em 0}.v-yes{color:#176f2c;font-weight:600}.v-no{color:#b00020;font-weight:600}.v-maybe{color:#8a6d00;font-weight:600}.v-none{color:#666;font-weight:600}';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><title>DirectPred Lab: the paper’s claims at lab scale</title><style>${style}</style></head><body>${html.join('\n')}</body></html>`;
}

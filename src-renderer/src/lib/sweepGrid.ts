/**
 * The point-and-click sweep grid: which setup fields can be swept, how a typed list of values is
 * read for each, and the sweep definition (contract `sweeps.preview` / `sweeps.start`) it makes.
 * Values are typed by field so `0.01, 0.1` becomes numbers and `true` a boolean; every bad token is
 * reported with its axis and position, nothing is silently dropped.
 */
import { canonicalJson, PREDICTOR_KINDS } from '../../../src-main/common/setup.ts';
import { COMPARE_METRICS, DEFAULT_COMPARE_METRIC, isCompareMetric, storedBaseline, type CompareMetric } from '../../../src-main/common/sweep.ts';

/** How a field's values are read. */
export type FieldKind = 'number' | 'int' | 'bool' | 'enum' | 'string' | 'json';

/** A sweepable setup field. */
export interface SweepField {
  path: string;
  label: string;
  kind: FieldKind;
  /** Allowed values of an enum field. */
  options?: readonly string[];
}

/** Fields offered in the grid builder, most often swept first. Any other dotted path may be typed. */
export const SWEEP_FIELDS: readonly SweepField[] = [
  { path: 'predictor.kind', label: 'predictor kind', kind: 'enum', options: PREDICTOR_KINDS },
  { path: 'method', label: 'method (target)', kind: 'enum', options: ['byol', 'simsiam'] },
  { path: 'stopGradient', label: 'stop-gradient', kind: 'bool' },
  { path: 'emaMomentum', label: 'γ_a: EMA momentum', kind: 'number' },
  { path: 'optim.lr', label: 'α: learning rate', kind: 'number' },
  { path: 'optim.weightDecay', label: 'η̄: weight decay', kind: 'number' },
  { path: 'optim.predictorWeightDecay', label: 'predictor weight decay', kind: 'number' },
  { path: 'optim.predictorLrRatio', label: 'α_p: predictor lr ratio', kind: 'number' },
  { path: 'optim.batchSize', label: 'batch size', kind: 'int' },
  { path: 'optim.epochs', label: 'epochs', kind: 'number' },
  { path: 'predictor.rho', label: 'ρ: F̂ EMA rate (DirectPred)', kind: 'number' },
  { path: 'predictor.eps', label: 'ε: eigenvalue boost (DirectPred)', kind: 'number' },
  { path: 'predictor.freq', label: 'DirectPred update frequency', kind: 'int' },
  { path: 'predictor.symmetric', label: 'symmetric W_p (linear)', kind: 'bool' },
  { path: 'predictor.hidden', label: 'MLP predictor width', kind: 'int' },
  { path: 'projector.out', label: 'projector output d', kind: 'int' },
  { path: 'projector.hidden', label: 'projector hidden width', kind: 'int' },
  { path: 'loss', label: 'loss', kind: 'enum', options: ['cosine', 'mse'] },
  { path: 'lossReduction', label: 'loss terms: sum (official) or mean', kind: 'enum', options: ['sum', 'mean'] },
  { path: 'targetInit', label: 'target init: copy or random (official)', kind: 'enum', options: ['copy', 'random'] },
  { path: 'projector.bnAffine', label: 'projector BN affine', kind: 'bool' },
  { path: 'optim.lastBatch', label: 'last partial batch', kind: 'enum', options: ['drop', 'keep'] },
  { path: 'predictor.freqPhase', label: 'W_p update phase (freq > 1)', kind: 'enum', options: ['last', 'first'] },
  { path: 'augment.noise', label: 'augmentation noise std', kind: 'number' },
  { path: 'augment.cropScale', label: 'crop scale range', kind: 'json' },
  { path: 'data.trainSize', label: 'pre-training images', kind: 'int' },
];

/** The field entry of a path (a typed path not in the catalogue is read as JSON-or-text). */
export function fieldFor(path: string): SweepField {
  return SWEEP_FIELDS.find((f) => f.path === path) ?? { path, label: path, kind: 'json' };
}

/** One value-parsing problem. */
export interface ValueIssue {
  path: string;
  message: string;
}

/** Splits on commas outside brackets, so `[0.2, 1], [0.5, 1]` gives two JSON arrays. */
export function splitList(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '[' || ch === '{') depth++;
    if (ch === ']' || ch === '}') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Reads one axis's value list for its field; `issues` names each token that is not valid. */
export function parseValues(field: SweepField, text: string): { values: unknown[]; issues: ValueIssue[] } {
  const tokens = splitList(text);
  const values: unknown[] = [];
  const issues: ValueIssue[] = [];
  if (tokens.length === 0) issues.push({ path: field.path, message: 'give at least one value' });
  tokens.forEach((t, i) => {
    const bad = (why: string) => issues.push({ path: field.path, message: `value ${i + 1} '${t}': ${why}` });
    switch (field.kind) {
      case 'number':
      case 'int': {
        const v = Number(t);
        if (!Number.isFinite(v)) bad('not a number');
        else if (field.kind === 'int' && !Number.isInteger(v)) bad('must be a whole number');
        else values.push(v);
        break;
      }
      case 'bool':
        if (t === 'true' || t === 'false') values.push(t === 'true');
        else bad('must be true or false');
        break;
      case 'enum':
        if (field.options?.includes(t)) values.push(t);
        else bad(`must be one of ${field.options?.join(', ')}`);
        break;
      case 'string':
        values.push(t);
        break;
      case 'json':
        try {
          values.push(JSON.parse(t));
        } catch {
          values.push(t);
        }
        break;
    }
  });
  const seen = new Set<string>();
  for (const v of values) {
    const k = JSON.stringify(v);
    if (seen.has(k)) issues.push({ path: field.path, message: `value ${k} is listed twice` });
    seen.add(k);
  }
  return { values, issues };
}

/** An axis as the builder holds it: a field path and the typed text of its values. */
export interface AxisDraft {
  path: string;
  text: string;
}

/**
 * The baseline as the builder holds it: an axis path, one of its values as canonical JSON (the
 * picker's option id), the metric compared and the margin as typed ('' : the seed noise).
 */
export interface BaselineDraft {
  path: string;
  value: string;
  metric: string;
  margin: string;
}

/** What the builder holds. */
export interface GridDraft {
  name: string;
  base: Record<string, unknown>;
  axes: AxisDraft[];
  seeds: number;
  concurrency: number;
  /** The group every other is compared with; null: none (the result table shows means only). */
  baseline?: BaselineDraft | null;
}

/** The contract's sweep definition. */
export interface SweepDefinitionJson {
  name?: string;
  base: Record<string, unknown>;
  axes: Record<string, unknown[]>;
  seeds: number;
  concurrency: number;
  baseline?: { path: string; value: unknown; metric: CompareMetric; margin?: number };
}

/** The builder's baseline choices: every value of every axis, as `path = value`, keyed by path and canonical JSON, each once (a value typed twice is the grid's own issue). */
export function baselineOptions(axes: Record<string, unknown[]>): { path: string; value: string; label: string }[] {
  const seen = new Set<string>();
  return Object.entries(axes).flatMap(([path, values]) =>
    values.flatMap((v) => {
      const value = canonicalJson(v ?? null);
      const id = JSON.stringify([path, value]);
      if (seen.has(id)) return [];
      seen.add(id);
      return [{ path, value, label: `${path} = ${typeof v === 'string' ? v : value}` }];
    }),
  );
}

/** The draft's baseline as the definition stores it, or what is wrong with it (not a value of the axes, a bad metric or margin). */
function buildBaseline(b: BaselineDraft, axes: Record<string, unknown[]>, issues: ValueIssue[]): SweepDefinitionJson['baseline'] {
  const values = Object.hasOwn(axes, b.path) ? axes[b.path]! : null;
  const value = values?.find((v) => canonicalJson(v ?? null) === b.value);
  if (!values) issues.push({ path: 'baseline', message: `'${b.path}' is not an axis of this grid; pick the baseline again` });
  else if (value === undefined) issues.push({ path: 'baseline', message: `${b.value} is no longer a value of ${b.path}; pick the baseline again` });
  if (!isCompareMetric(b.metric)) issues.push({ path: 'baseline.metric', message: `'${b.metric}' is not a metric a sweep compares (one of ${Object.keys(COMPARE_METRICS).join(', ')})` });
  const text = b.margin.trim();
  const margin = text === '' ? undefined : Number(text);
  if (margin !== undefined && !(Number.isFinite(margin) && margin >= 0)) issues.push({ path: 'baseline.margin', message: `the margin must be a number ≥ 0 (empty: the seed noise), got '${text}'` });
  if (value === undefined || !isCompareMetric(b.metric)) return undefined;
  return { path: b.path, value, metric: b.metric, ...(margin !== undefined ? { margin } : {}) };
}

/** Builds the definition, or lists what is wrong with the draft (axis paths, values, seeds). */
export function buildDefinition(d: GridDraft): { definition: SweepDefinitionJson | null; issues: ValueIssue[]; count: number } {
  const issues: ValueIssue[] = [];
  const axes: Record<string, unknown[]> = {};
  for (const a of d.axes) {
    const path = a.path.trim();
    if (!/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/.test(path)) {
      issues.push({ path: path || '(axis)', message: `'${path}' is not a dotted setup field path` });
      continue;
    }
    if (path in axes) {
      issues.push({ path, message: 'this field is swept twice' });
      continue;
    }
    const r = parseValues(fieldFor(path), a.text);
    issues.push(...r.issues);
    axes[path] = r.values;
  }
  if (!Number.isInteger(d.seeds) || d.seeds < 1 || d.seeds > 100) issues.push({ path: 'seeds', message: 'seeds must be a whole number from 1 to 100' });
  if (!Number.isInteger(d.concurrency) || d.concurrency < 1 || d.concurrency > 64) issues.push({ path: 'concurrency', message: 'concurrency must be a whole number from 1 to 64' });
  const baseline = d.baseline ? buildBaseline(d.baseline, axes, issues) : undefined;
  const count = Object.values(axes).reduce((n, v) => n * Math.max(1, v.length), 1) * Math.max(1, d.seeds | 0);
  if (issues.length) return { definition: null, issues, count };
  const definition: SweepDefinitionJson = { base: d.base, axes, seeds: d.seeds, concurrency: d.concurrency };
  if (d.name.trim()) definition.name = d.name.trim();
  if (baseline) definition.baseline = baseline;
  return { definition, issues, count };
}

/**
 * Reads a stored sweep definition back into a draft (for re-opening a sweep from the archive), its
 * baseline checked again against its axes (`storedBaseline`): a bad one is left out and named in
 * `baselineProblem`, never put in the builder.
 */
export function draftFromDefinition(def: unknown): GridDraft & { baselineProblem: string | null } {
  const o = (def && typeof def === 'object' ? def : {}) as Record<string, unknown>;
  const rawAxes = o.axes;
  const list: { path: string; values: unknown[] }[] = Array.isArray(rawAxes)
    ? (rawAxes as { path: string; values: unknown[] }[])
    : rawAxes && typeof rawAxes === 'object'
      ? Object.entries(rawAxes as Record<string, unknown[]>).map(([path, values]) => ({ path, values }))
      : [];
  const { baseline: b, problem } = storedBaseline(def);
  return {
    name: typeof o.name === 'string' ? o.name : '',
    base: (o.base && typeof o.base === 'object' ? o.base : {}) as Record<string, unknown>,
    axes: list.map((a) => ({ path: a.path, text: (a.values ?? []).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ') })),
    seeds: Array.isArray(o.seeds) ? o.seeds.length : typeof o.seeds === 'number' ? o.seeds : 1,
    concurrency: typeof o.concurrency === 'number' ? o.concurrency : 1,
    baseline: b ? { path: b.path, value: canonicalJson(b.value ?? null), metric: b.metric ?? DEFAULT_COMPARE_METRIC, margin: b.margin !== undefined ? String(b.margin) : '' } : null,
    baselineProblem: problem,
  };
}

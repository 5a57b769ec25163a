/**
 * Sweeps: a base setup, axes (any setup field path with a list of values) and a number of seeds.
 * `expandSweep` is pure: it gives the member runs in a fixed order (axes in the order given, the
 * last axis varying fastest, seeds innermost) and every invalid combination with its field path,
 * so nothing starts until the whole grid is valid. One schema (`SweepDefinitionSchema`) says what a
 * sweep file is, for the CLI, the service and the contract alike. Browser-safe.
 */
import { z } from 'zod';
import { printable, nameSchema } from './text.ts';
import { canonicalJson, checkSetup, findForbiddenKey, formatPath, isForbiddenPath, setAtPath, setSetupField, setupPathIssue, type Setup } from './setup.ts';

/** Most members a sweep may expand to (a typo in an axis should not queue a million runs). */
export const MAX_SWEEP_RUNS = 10000;

/** One axis: a dotted setup field path (`optim.lr`, `predictor.kind`) and the values it takes. */
export interface SweepAxis {
  path: string;
  values: unknown[];
}

/** Final metrics a sweep's groups may be compared on, each with the side that is better. */
export const COMPARE_METRICS = { probeAcc: 'greater', knnAcc: 'greater', collapseStd: 'greater', effectiveRank: 'greater', finalLoss: 'less' } as const;

/** A metric a sweep's groups may be compared on. */
export type CompareMetric = keyof typeof COMPARE_METRICS;

/** The metric a baseline compares when it names none. */
export const DEFAULT_COMPARE_METRIC: CompareMetric = 'probeAcc';

/** True when `m` is a metric a sweep may be compared on (own keys only). */
export function isCompareMetric(m: unknown): m is CompareMetric {
  return typeof m === 'string' && Object.hasOwn(COMPARE_METRICS, m);
}

const AXIS_PATH = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/;
const axisValues = z.array(z.unknown()).min(1, 'must be a non-empty list').max(MAX_SWEEP_RUNS);
const AxisList = z.array(z.strictObject({ path: z.string(), values: axisValues })).max(64);
const AxisRecord = z.record(z.string(), axisValues);

/**
 * The fields of a sweep file, without the cross-field rules (so the contract can extend it with
 * its own `concurrency`); validate with `SweepDefinitionSchema` or `refineSweep`.
 */
export const SweepFields = z.strictObject({
  /** One line of text (no control characters: it is printed in tables and a Slurm job script's comment). */
  name: nameSchema(200).optional(),
  /** Base setup (any field may be left out and takes its default). */
  base: z.record(z.string(), z.unknown()).optional(),
  /** Axes as a list of {path, values}, or as an object from field path to values. */
  axes: z.custom<SweepAxis[] | Record<string, unknown[]>>().optional(),
  /** N (root seeds base.seed … base.seed+N−1) or an explicit list of root seeds; default 1. */
  seeds: z
    .union([z.number().int().min(1).max(MAX_SWEEP_RUNS), z.array(z.number().int().min(0)).min(1).max(MAX_SWEEP_RUNS)], {
      error: 'must be a positive integer or a non-empty list of non-negative integer seeds',
    })
    .optional(),
  /** Defaults of `--executor slurm` (partition, time, gpusPerTask, …; checked by runs/executor-slurm.ts). */
  slurm: z.record(z.string(), z.unknown()).optional(),
  /**
   * The group every other is compared with (one value of one axis, `predictor.kind` = `none`), on
   * which final metric (default probeAcc) and at which margin (default: the metric's seed noise,
   * the std over seeds of the baseline group): reproduce/compare.ts judges each group against it.
   */
  baseline: z
    .strictObject({
      path: z.string(),
      value: z.unknown(),
      metric: z.enum(Object.keys(COMPARE_METRICS) as [CompareMetric, ...CompareMetric[]]).optional(),
      margin: z.number().finite().min(0).optional(),
    })
    .optional(),
  /** Recorded by the lab once the sweep started: its executor and how to find it again (folder, job id). */
  executor: z.record(z.string(), z.unknown()).optional(),
});

/** The rules across fields: axes well formed (list or object form), no axis twice, `seed` is not an axis, the baseline one of the axes' values. */
export function refineSweep(def: { axes?: unknown; baseline?: { path: string; value: unknown } | undefined }, ctx: z.RefinementCtx): void {
  refineBaseline(def, ctx);
  if (def.axes === undefined) return;
  if (def.axes === null || typeof def.axes !== 'object') {
    ctx.addIssue({ code: 'custom', path: ['axes'], message: 'must be a list of {path, values} or an object of path → values' });
    return;
  }
  const list = Array.isArray(def.axes);
  const r = (list ? AxisList : AxisRecord).safeParse(def.axes);
  if (!r.success) for (const i of r.error.issues) ctx.addIssue({ code: 'custom', path: ['axes', ...i.path], message: i.message });
  // Paths are checked on what was given, even when values are wrong, so every problem shows at once.
  const paths: unknown[] = list ? (def.axes as { path?: unknown }[]).map((a) => a?.path) : Object.keys(def.axes);
  const seen = new Set<string>();
  paths.forEach((p, i) => {
    const at = list ? ['axes', i, 'path'] : ['axes', String(p)];
    if (typeof p === 'string' && isForbiddenPath(p)) ctx.addIssue({ code: 'custom', path: at, message: setupPathIssue(p)! });
    else if (typeof p !== 'string' || !AXIS_PATH.test(p)) ctx.addIssue({ code: 'custom', path: at, message: `'${String(p)}' is not a dotted field path` });
    else if (seen.has(p)) ctx.addIssue({ code: 'custom', path: at, message: `axis '${p}' is given twice` });
    else seen.add(p);
  });
  if (seen.has('seed')) ctx.addIssue({ code: 'custom', path: ['axes'], message: "'seed' cannot be an axis: use the sweep's `seeds` field" });
}

/** The baseline names an axis of the sweep and one of that axis's values (else an error naming both). */
function refineBaseline(def: { axes?: unknown; baseline?: { path: string; value: unknown } | undefined }, ctx: z.RefinementCtx): void {
  const b = def.baseline;
  const raw = def.axes ?? [];
  if (!b || raw === null || typeof raw !== 'object') return;
  const axes: { path?: unknown; values?: unknown }[] = Array.isArray(raw) ? (raw as { path?: unknown; values?: unknown }[]) : Object.entries(raw).map(([path, values]) => ({ path, values }));
  const axis = axes.find((a) => a !== null && typeof a === 'object' && a.path === b.path);
  if (!axis) {
    const names = axes.map((a) => String(a?.path)).join(', ');
    ctx.addIssue({ code: 'custom', path: ['baseline', 'path'], message: `'${printable(String(b.path)).slice(0, 200)}' is not an axis of this sweep (axes: ${names || 'none'})` });
    return;
  }
  const values = Array.isArray(axis.values) ? axis.values : [];
  const want = canonicalJson(b.value ?? null);
  if (b.value === undefined || !values.some((v) => canonicalJson(v ?? null) === want)) {
    const shown = values.slice(0, 20).map((v) => canonicalJson(v ?? null)).join(', ');
    ctx.addIssue({ code: 'custom', path: ['baseline', 'value'], message: `${b.value === undefined ? 'missing' : printable(want).slice(0, 200)} is not a value of axis '${String(b.path)}' (values: ${shown})` });
  }
}

/** A sweep file: base setup, axes, seeds. */
export const SweepDefinitionSchema = SweepFields.superRefine(refineSweep);

/** A sweep as written in sweep.json. */
export type SweepDefinition = z.infer<typeof SweepDefinitionSchema>;

/** A sweep's baseline as stored with it: the axis value every group is compared with, the metric and the margin (absent: seed noise). */
export type StoredBaseline = NonNullable<SweepDefinition['baseline']>;

/**
 * The baseline of a sweep definition read back from an archive (or sent by a server), checked again
 * as a sweep file's is (shape, metric, margin ≥ 0, one value of one of the sweep's axes): a stored
 * definition is input like any other. `problem` says what is wrong (then `baseline` is null); a
 * definition without a baseline gives neither.
 */
export function storedBaseline(definition: unknown): { baseline: StoredBaseline | null; problem: string | null } {
  if (definition === null || typeof definition !== 'object' || Array.isArray(definition) || !Object.hasOwn(definition, 'baseline')) return { baseline: null, problem: null };
  const { baseline, axes } = definition as { baseline: unknown; axes?: unknown };
  if (baseline === undefined) return { baseline: null, problem: null };
  const forbidden = findForbiddenKey(baseline, 'baseline');
  if (forbidden) return { baseline: null, problem: `${forbidden.path}: '${forbidden.key}' may not be a key of a sweep` };
  const r = SweepDefinitionSchema.safeParse({ axes: Object.hasOwn(definition, 'axes') ? axes : undefined, baseline });
  if (r.success && r.data.baseline) return { baseline: r.data.baseline, problem: null };
  const issues = r.success ? [] : r.error.issues.map((i) => `${formatPath(i.path) || '(definition)'}: ${i.message}`);
  return { baseline: null, problem: printable(issues.join('; ') || 'baseline: must be an object').slice(0, 500) };
}

/** One member run of an expanded sweep. */
export interface SweepMember {
  /** Position in the expansion order. */
  idx: number;
  /** The axis values of this member, by field path, plus `seed`. */
  combo: Record<string, unknown>;
  setup: Setup;
  name: string;
}

/** A problem in a sweep: which member (−1 for the definition itself), its combination, the field path, why. */
export interface SweepIssue {
  idx: number;
  combo: Record<string, unknown>;
  path: string;
  message: string;
}

/** Normalises the axes to a list. */
export function sweepAxes(def: Pick<SweepDefinition, 'axes'>): SweepAxis[] {
  const axes = def.axes ?? [];
  return Array.isArray(axes) ? axes : Object.entries(axes).map(([path, values]) => ({ path, values }));
}

/** The list of root seeds of a sweep. */
export function sweepSeeds(def: SweepDefinition): number[] {
  const s = def.seeds ?? 1;
  if (Array.isArray(s)) return s;
  const base = typeof def.base?.seed === 'number' ? def.base.seed : 0;
  return Array.from({ length: s }, (_, i) => base + i);
}

function fmt(v: unknown): string {
  return typeof v === 'string' ? v : canonicalJson(v);
}

/** What `expandSweep` finds: the members (none unless all are valid), every issue, the parsed definition. */
export interface SweepExpansion {
  members: SweepMember[];
  issues: SweepIssue[];
  /** The definition as validated (absent when the definition itself is invalid). */
  definition?: SweepDefinition;
}

/** Validates a sweep (any JSON) and expands it into its member setups; `issues` is empty exactly when every member is valid. */
export function expandSweep(raw: unknown): SweepExpansion {
  const issues: SweepIssue[] = [];
  const defIssue = (path: string, message: string) => issues.push({ idx: -1, combo: {}, path, message });
  // The raw JSON is scanned first, as every request is: zod's records would drop a `__proto__` key
  // of `base` silently (and read it through the prototype), where `dplab run` refuses it.
  const forbidden = findForbiddenKey(raw);
  if (forbidden) {
    defIssue(forbidden.path, `'${forbidden.key}' may not be a key of a sweep`);
    return { members: [], issues };
  }
  const parsed = SweepDefinitionSchema.safeParse(raw);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      // An unknown field is named by its own path, so the user sees which key to remove.
      if (i.code === 'unrecognized_keys') for (const k of i.keys) defIssue(formatPath([...i.path, k]), 'unknown sweep field (expected name, base, axes, seeds, baseline, slurm)');
      else if (i.path.length === 0) defIssue('', 'a sweep must be a JSON object with base, axes and seeds');
      else defIssue(formatPath(i.path), i.message);
    }
    return { members: [], issues };
  }
  const def = parsed.data;
  const axes = sweepAxes(def);
  const seeds = sweepSeeds(def);
  const total = axes.reduce((n, a) => n * a.values.length, 1) * seeds.length;
  if (total > MAX_SWEEP_RUNS) {
    defIssue('axes', `the grid expands to ${total} runs, more than ${MAX_SWEEP_RUNS}`);
    return { members: [], issues, definition: def };
  }

  const base = def.base ?? {};
  // An axis naming no setup field is reported once, beside the members' own problems (so one pass
  // shows them all), and left out of the members' setups.
  const unknown = new Set<string>();
  for (const a of axes) {
    const issue = setupPathIssue(a.path);
    if (issue) {
      unknown.add(a.path);
      defIssue(a.path, issue);
    }
  }
  const members: SweepMember[] = [];
  const prefix = def.name ?? 'sweep';
  for (let idx = 0; idx < total; idx++) {
    // Mixed-radix decomposition of idx: seeds innermost, then the last axis, …, the first axis outermost.
    let rest = idx;
    const seed = seeds[rest % seeds.length]!;
    rest = Math.floor(rest / seeds.length);
    const picks: unknown[] = new Array(axes.length);
    for (let a = axes.length - 1; a >= 0; a--) {
      picks[a] = axes[a]!.values[rest % axes[a]!.values.length];
      rest = Math.floor(rest / axes[a]!.values.length);
    }
    const combo: Record<string, unknown> = {};
    let raw: Record<string, unknown> = base;
    axes.forEach((a, i) => {
      combo[a.path] = picks[i];
      if (!unknown.has(a.path)) raw = setSetupField(raw, a.path, picks[i]);
    });
    combo.seed = seed;
    raw = setAtPath(raw, 'seed', seed);
    // An axis value's control characters are escaped here, so a bad value is refused by its own field, not as the name.
    const name = printable([prefix, ...axes.map((a, i) => `${a.path}=${fmt(picks[i])}`), `seed=${seed}`].join(' '));
    raw = setAtPath(raw, 'name', name.slice(0, 200));
    const r = checkSetup(raw);
    if (!r.ok) {
      for (const i of r.issues) issues.push({ idx, combo, path: i.path, message: i.message });
      continue;
    }
    members.push({ idx, combo, setup: r.setup, name: r.setup.name ?? name });
  }
  return { members: issues.length ? [] : members, issues, definition: def };
}

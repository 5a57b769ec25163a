/**
 * Sweeps: a base setup, axes (any setup field path with a list of values) and a number of seeds.
 * `expandSweep` is pure: it gives the member runs in a fixed order (axes in the order given, the
 * last axis varying fastest, seeds innermost) and every invalid combination with its field path,
 * so nothing starts until the whole grid is valid.
 */
import { canonicalJson, checkSetup, getAtPath, setAtPath, type Setup } from '../spec/setup.ts';

/** One axis: a dotted setup field path (`optim.lr`, `predictor.kind`) and the values it takes. */
export interface SweepAxis {
  path: string;
  values: unknown[];
}

/** A sweep as written in sweep.json. */
export interface SweepDefinition {
  name?: string;
  /** Base setup (any field may be left out and takes its default). */
  base?: Record<string, unknown>;
  /** Axes as a list, or as an object from field path to values. */
  axes?: SweepAxis[] | Record<string, unknown[]>;
  /** N (root seeds base.seed … base.seed+N−1) or an explicit list of root seeds; default 1. */
  seeds?: number | number[];
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

/** Most members a sweep may expand to (a typo in an axis should not queue a million runs). */
export const MAX_SWEEP_RUNS = 10000;

/** Normalises the axes to a list. */
export function sweepAxes(def: SweepDefinition): SweepAxis[] {
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

/** True when every leaf of `given` is in `parsed` unchanged (parsing may add defaults beside them). */
function survives(given: unknown, parsed: unknown): boolean {
  if (given !== null && typeof given === 'object' && !Array.isArray(given)) {
    if (parsed === null || typeof parsed !== 'object') return false;
    return Object.entries(given).every(([k, v]) => survives(v, (parsed as Record<string, unknown>)[k]));
  }
  return canonicalJson(given) === canonicalJson(parsed);
}

/** Expands a sweep into its member setups; `issues` is empty exactly when every member is valid. */
export function expandSweep(def: SweepDefinition): { members: SweepMember[]; issues: SweepIssue[] } {
  const issues: SweepIssue[] = [];
  const defIssue = (path: string, message: string) => issues.push({ idx: -1, combo: {}, path, message });
  if (def === null || typeof def !== 'object' || Array.isArray(def)) {
    defIssue('', 'a sweep must be a JSON object with base, axes and seeds');
    return { members: [], issues };
  }
  for (const k of Object.keys(def)) if (!['name', 'base', 'axes', 'seeds'].includes(k)) defIssue(k, 'unknown sweep field (expected name, base, axes, seeds)');
  if (def.base !== undefined && (def.base === null || typeof def.base !== 'object' || Array.isArray(def.base))) defIssue('base', 'must be a setup object');
  let axes: SweepAxis[] = [];
  if (def.axes !== undefined && (def.axes === null || typeof def.axes !== 'object')) defIssue('axes', 'must be a list of {path, values} or an object of path → values');
  else axes = sweepAxes(def);
  const seen = new Set<string>();
  axes.forEach((a, i) => {
    if (typeof a?.path !== 'string' || !/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/.test(a.path)) defIssue(`axes[${i}].path`, `'${String(a?.path)}' is not a dotted field path`);
    else if (seen.has(a.path)) defIssue(`axes[${i}].path`, `axis '${a.path}' is given twice`);
    else seen.add(a.path);
    if (!Array.isArray(a?.values) || a.values.length === 0) defIssue(`axes[${i}].values`, 'must be a non-empty list');
  });
  const s = def.seeds ?? 1;
  if (Array.isArray(s) ? s.length === 0 || s.some((x) => !Number.isInteger(x) || x < 0) : !Number.isInteger(s) || s < 1) {
    defIssue('seeds', 'must be a positive integer or a non-empty list of non-negative integer seeds');
  }
  if (seen.has('seed')) defIssue('axes', "'seed' cannot be an axis: use the sweep's `seeds` field");
  if (issues.length) return { members: [], issues };
  const seeds = sweepSeeds(def);
  const total = axes.reduce((n, a) => n * a.values.length, 1) * seeds.length;
  if (total > MAX_SWEEP_RUNS) {
    defIssue('axes', `the grid expands to ${total} runs, more than ${MAX_SWEEP_RUNS}`);
    return { members: [], issues };
  }

  const base = def.base ?? {};
  // An axis naming no setup field is dropped by validation (nested objects strip unknown keys):
  // find it once per axis, on the defaults, so it is reported even when members fail for other reasons.
  for (const a of axes) {
    const probe = checkSetup(setAtPath({}, a.path, a.values[0]));
    if (probe.ok && !survives(a.values[0], getAtPath(probe.setup, a.path))) {
      defIssue(a.path, `not a setup field (the value ${fmt(a.values[0])} was dropped by validation)`);
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
      raw = setAtPath(raw, a.path, picks[i]);
    });
    combo.seed = seed;
    raw = setAtPath(raw, 'seed', seed);
    const name = [prefix, ...axes.map((a, i) => `${a.path}=${fmt(picks[i])}`), `seed=${seed}`].join(' ');
    raw = setAtPath(raw, 'name', name.slice(0, 200));
    const r = checkSetup(raw);
    if (!r.ok) {
      for (const i of r.issues) issues.push({ idx, combo, path: i.path, message: i.message });
      continue;
    }
    // Nested setup objects drop unknown keys silently; an axis value that did not survive names a wrong field.
    for (const a of axes) {
      if (!survives(combo[a.path], getAtPath(r.setup, a.path))) {
        issues.push({ idx, combo, path: a.path, message: `not a setup field (the value ${fmt(combo[a.path])} was dropped by validation)` });
      }
    }
    members.push({ idx, combo, setup: r.setup, name: r.setup.name ?? name });
  }
  return { members: issues.length ? [] : members, issues };
}

/**
 * Which setup fields differ between runs, by one rule everywhere (the runs table's columns, the
 * compare view's group-by choices, the two-run config diff): a field differs when it takes at least
 * two different values among the setups that have it. A field only some setups have (ρ exists for
 * DirectPred, not for a linear predictor) follows from the field that decides it (the kind), which
 * is listed when it differs.
 */

/** Flattens nested objects into dotted paths; arrays and empty objects are leaves, undefined is absent. */
export function flatten(obj: unknown, prefix = '', out: Map<string, unknown> = new Map()): Map<string, unknown> {
  if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
    const entries = Object.entries(obj as Record<string, unknown>);
    for (const [k, v] of entries) {
      if (v !== undefined) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    }
    if (prefix && entries.length === 0) out.set(prefix, {});
  } else if (prefix && obj !== undefined) {
    out.set(prefix, obj);
  }
  return out;
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Paths never worth a column (bookkeeping, not the experiment). */
const IGNORED = new Set(['version', 'name']);

/**
 * The dotted paths that take at least two different values across `setups`. A path present in only
 * some setups (ρ exists for DirectPred, not for a linear predictor) counts only if it varies where
 * it exists: the kind column already says the rest. Sorted with the predictor and method first.
 */
export function differingFields(setups: readonly unknown[]): string[] {
  if (setups.length < 2) return [];
  const flats = setups.map((s) => flatten(s));
  const paths = new Set<string>();
  for (const f of flats) for (const k of f.keys()) paths.add(k);
  const out: string[] = [];
  for (const p of paths) {
    if (IGNORED.has(p)) continue;
    let first: unknown;
    let seen = false;
    for (const f of flats) {
      if (!f.has(p)) continue;
      const v = f.get(p);
      if (!seen) {
        first = v;
        seen = true;
      } else if (!same(v, first)) {
        out.push(p);
        break;
      }
    }
  }
  return out.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function rank(p: string): number {
  if (p.startsWith('predictor.kind')) return 0;
  if (p.startsWith('predictor')) return 1;
  if (p === 'method' || p === 'emaMomentum' || p === 'stopGradient') return 2;
  if (p.startsWith('optim')) return 3;
  if (p === 'seed') return 9;
  return 5;
}

/**
 * A short column title for a setup path: its last segment ("optim.lr" → "lr"), but the parent's
 * name for a kind ("predictor.kind" → "predictor"), since "kind" alone says nothing.
 */
export function shortPath(p: string): string {
  const parts = p.split('.');
  const last = parts[parts.length - 1]!;
  return last === 'kind' && parts.length > 1 ? parts[parts.length - 2]! : last;
}

/** One differing field of two setups. */
export interface DiffRow {
  path: string;
  a: unknown;
  b: unknown;
}

/** The two-run config diff: the differing fields (same rule as `differingFields`) with both values. */
export function configDiff(a: unknown, b: unknown): DiffRow[] {
  const fa = flatten(a);
  const fb = flatten(b);
  return differingFields([a, b]).map((path) => ({ path, a: fa.get(path), b: fb.get(path) }));
}

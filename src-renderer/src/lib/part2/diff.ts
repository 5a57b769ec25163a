/** Config diff of two setups: the leaf fields (dotted paths) whose values differ. */

/** A setup flattened into leaf paths; arrays are leaves (e.g. `encoder.widths`). */
export function flattenSetup(obj: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
    for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
      if (v === undefined) continue;
      flattenSetup(v, prefix ? `${prefix}.${k}` : k, out);
    }
    if (prefix && Object.keys(obj as object).length === 0) out[prefix] = {};
  } else if (prefix) {
    out[prefix] = obj;
  }
  return out;
}

/** One differing field; `a`/`b` are undefined where the field is absent on that side. */
export interface DiffRow {
  path: string;
  a: unknown;
  b: unknown;
}

/** Fields that differ between two setups, sorted by path (equal arrays and objects count as equal). */
export function configDiff(a: unknown, b: unknown): DiffRow[] {
  const fa = flattenSetup(a);
  const fb = flattenSetup(b);
  const paths = [...new Set([...Object.keys(fa), ...Object.keys(fb)])].sort();
  const rows: DiffRow[] = [];
  for (const path of paths) {
    if (JSON.stringify(fa[path]) !== JSON.stringify(fb[path])) rows.push({ path, a: fa[path], b: fb[path] });
  }
  return rows;
}

/** Leaf paths whose values are not all equal across the given setups (candidates for group-by). */
export function varyingFields(setups: readonly unknown[]): string[] {
  const flats = setups.map((s) => flattenSetup(s));
  const paths = [...new Set(flats.flatMap((f) => Object.keys(f)))].sort();
  return paths.filter((p) => new Set(flats.map((f) => JSON.stringify(f[p]))).size > 1);
}

/** Short text of a setup value for tables and legends. */
export function formatValue(v: unknown): string {
  if (v === undefined) return '—';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  return JSON.stringify(v);
}

/**
 * Bars of a result grouped by several factors (a sweep's axes, Compare's group fields), laid out so
 * each factor reads on its own: one factor is the bar colour (one legend, the same colour in every
 * panel), an optional second one splits the chart into small multiples (panels on one y scale), and
 * the remaining factors make the clusters along x. Before this, every combination got its own colour
 * and its own slot, so two factors read as one long row of unrelated bars.
 */
import type { MetricRange } from '../../../src-main/common/metrics.ts';
import { canonicalJson } from '../../../src-main/common/setup.ts';
import { clampedInterval } from './compare/range.ts';
import { formatValue } from './format.ts';
import { groupColors, paletteColor } from './runColors.ts';

/** One group's statistic (mean ± sample std over its runs) by the values of its factors. */
export interface FactorStat {
  /** Value of each factor (setup field path → value). */
  key: Record<string, unknown>;
  mean: number | null;
  std: number | null;
  n: number;
  /** Label and colour used when no factor is given (each group its own bar, e.g. one run each). */
  label?: string;
  color?: string;
}

/** A drawn bar: its statistic, its error bar's ends clamped to the metric's range, full text for hover. */
export interface LaidBar {
  /** Every factor's value ("predictor.kind = linear, optim.weightDecay = 0"): the hover text. */
  label: string;
  mean: number | null;
  std: number | null;
  n: number;
  color: string;
  /** mean ± std inside the metric's range (null without a mean). */
  lo: number | null;
  hi: number | null;
}

/** Bars side by side under one x label; a null bar is a combination with no group (its place kept). */
export interface Cluster {
  label: string;
  bars: (LaidBar | null)[];
}

/** One small multiple: the groups with one value of the panel factor. */
export interface Facet {
  /** "weightDecay = 0.0004", or '' for the only panel. */
  label: string;
  clusters: Cluster[];
}

/** The whole figure: panels, the colour legend and the y extent every panel shares. */
export interface FactorLayout {
  facets: Facet[];
  /** Factor the colours stand for ('' when bars are not coloured by a factor). */
  colorBy: string;
  /** Factor of the panels ('' for one panel). */
  facetBy: string;
  legend: { label: string; color: string }[];
  /** [min, max] over every bar's clamped error bar, always including 0 (bars start at 0). */
  domain: [number, number];
}

/** Which factors play which part. */
export interface FactorRoles {
  /** The factors, in the order the view lists them. */
  fields: readonly string[];
  /** Colour factor; the first field when empty or not a field. */
  colorBy?: string;
  /** Panel factor; none when empty, not a field or the colour factor. */
  facetBy?: string;
  /** The metric's possible values in displayed units (error bars are clamped to it). */
  range?: MetricRange;
}

/** The last segment of a dotted path ("optim.weightDecay" → "weightDecay"): short labels under bars. */
export function shortField(path: string): string {
  return path.split('.').pop() ?? path;
}

/** Orders factor values: missing first, numbers by size, anything else by its canonical JSON. */
export function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const ta = canonicalJson(a ?? null);
  const tb = canonicalJson(b ?? null);
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

/** The distinct values of `field` over `keys`, sorted by `compareValues`. */
function distinctValues(keys: readonly Record<string, unknown>[], field: string): unknown[] {
  const seen = new Map<string, unknown>();
  for (const k of keys) {
    const v = k[field] ?? null;
    const t = canonicalJson(v);
    if (!seen.has(t)) seen.set(t, v);
  }
  return [...seen.values()].sort(compareValues);
}

/** Canonical text of the values of `fields` in `key`: the identity of a combination. */
function comboText(key: Record<string, unknown>, fields: readonly string[]): string {
  return canonicalJson(fields.map((f) => key[f] ?? null));
}

/** The colour factor and panel factor the roles resolve to (see `FactorRoles`). */
export function resolveRoles(roles: FactorRoles): { colorBy: string; facetBy: string; clusterBy: string[] } {
  const { fields } = roles;
  const colorBy = roles.colorBy && fields.includes(roles.colorBy) ? roles.colorBy : (fields[0] ?? '');
  const facetBy = roles.facetBy && roles.facetBy !== colorBy && fields.includes(roles.facetBy) ? roles.facetBy : '';
  return { colorBy, facetBy, clusterBy: fields.filter((f) => f !== colorBy && f !== facetBy) };
}

/**
 * Colours of groups by the value of one factor only, so groups that share it share a colour: the
 * same palette entries `groupColors` gives a one-factor result, so table swatches, bars and lines agree.
 */
export function colorsByFactor(keys: readonly Record<string, unknown>[], field: string): string[] {
  return groupColors(keys.map((k) => ({ [field]: k[field] ?? null })));
}

/** Lays out `stats` as coloured, clustered and faceted bars (see the module comment). */
export function layoutFactorBars(stats: readonly FactorStat[], roles: FactorRoles): FactorLayout {
  const bar = (s: FactorStat, label: string, color: string): LaidBar => {
    const iv = clampedInterval(s.mean, s.std, roles.range);
    return { label, mean: s.mean, std: s.std, n: s.n, color, lo: iv?.lo ?? null, hi: iv?.hi ?? null };
  };
  const fullLabel = (key: Record<string, unknown>) => roles.fields.map((f) => `${f} = ${formatValue(key[f] ?? null)}`).join(', ');
  let facets: Facet[];
  let legend: FactorLayout['legend'] = [];
  const { colorBy, facetBy, clusterBy } = resolveRoles(roles);
  if (!colorBy) {
    // No factors: every group (a run) is its own bar in its own colour.
    facets = [{ label: '', clusters: stats.map((s, i) => ({ label: s.label ?? '', bars: [bar(s, s.label ?? '', s.color ?? paletteColor(i))] })) }];
  } else {
    const colorValues = distinctValues(stats.map((s) => s.key), colorBy);
    const palette = colorsByFactor(colorValues.map((v) => ({ [colorBy]: v })), colorBy);
    const colorOf = new Map(colorValues.map((v, i) => [canonicalJson(v), palette[i]!]));
    legend = colorValues.map((v, i) => ({ label: formatValue(v), color: palette[i]! }));
    const facetValues = facetBy ? distinctValues(stats.map((s) => s.key), facetBy) : [null];
    facets = facetValues.map((fv) => {
      const inFacet = facetBy ? stats.filter((s) => canonicalJson(s.key[facetBy] ?? null) === canonicalJson(fv)) : [...stats];
      const byCombo = new Map(inFacet.map((s) => [comboText(s.key, [...clusterBy, colorBy]), s]));
      const laid = (key: Record<string, unknown>): LaidBar | null => {
        const s = byCombo.get(comboText(key, [...clusterBy, colorBy]));
        return s ? bar(s, fullLabel(s.key), colorOf.get(canonicalJson(s.key[colorBy] ?? null))!) : null;
      };
      let clusters: Cluster[];
      if (clusterBy.length === 0) {
        // Only the colour factor is left: one bar per colour value, labelled by that value.
        clusters = colorValues.map((cv) => ({ label: formatValue(cv), bars: [laid({ [colorBy]: cv })] }));
      } else {
        // Clusters: the combinations of the remaining factors (in sorted order), one bar per colour.
        const combos = new Map<string, Record<string, unknown>>();
        for (const s of inFacet) combos.set(comboText(s.key, clusterBy), s.key);
        const ordered = [...combos.values()].sort((a, b) => {
          for (const f of clusterBy) {
            const c = compareValues(a[f] ?? null, b[f] ?? null);
            if (c !== 0) return c;
          }
          return 0;
        });
        clusters = ordered.map((k) => ({
          label: clusterBy.map((f) => `${shortField(f)}=${formatValue(k[f] ?? null)}`).join(', '),
          bars: colorValues.map((cv) => laid({ ...k, [colorBy]: cv })),
        }));
      }
      return { label: facetBy ? `${shortField(facetBy)} = ${formatValue(fv)}` : '', clusters };
    });
  }
  let lo = 0;
  let hi = 0;
  for (const f of facets) {
    for (const c of f.clusters) {
      for (const b of c.bars) {
        if (!b || b.lo === null || b.hi === null) continue;
        lo = Math.min(lo, b.lo, b.mean!);
        hi = Math.max(hi, b.hi, b.mean!);
      }
    }
  }
  return { facets, colorBy, facetBy, legend, domain: [lo, hi] };
}

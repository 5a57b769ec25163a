/**
 * Stable run colours: a run's colour is a pure function of its id, so it is the same in every view,
 * every session and every chart, whatever else is selected beside it.
 */

/**
 * 20 colours picked greedily in OKLab (each as far as possible from all before it; the closest pair
 * is ΔE_ok ≈ 0.096, several times a just-noticeable difference), lightness 0.55–0.78 so every one
 * reads on the light and the dark theme. In order: any run of consecutive entries is as spread as
 * the palette allows, so the first runs or groups of a view get the most distinct colours.
 */
export const RUN_PALETTE = [
  '#296cd8', '#a9c719', '#c53829', '#f689ed', '#1c8742',
  '#12cbf5', '#fe9b61', '#a840a2', '#8e93f3', '#a67f38',
  '#62b289', '#f86685', '#2c94b0', '#b36c8f', '#ed9cb5',
  '#7167a8', '#9867e1', '#c1a9ee', '#b39f18', '#0fd4bb',
] as const;

/**
 * Every run's place in the archive (oldest first), set from the full runs list: a run's colour is
 * the palette entry of its place, so 20 runs made one after another (a sweep) never share a
 * colour, and a run has one colour in every view. Runs not (yet) listed fall back to a hash.
 */
let runOrder = new Map<string, number>();

/** Ranks runs by creation (oldest first, id breaks ties) for `runColor`; returns the ranking. */
export function setRunOrder(rows: readonly { id: string; createdAt: number }[]): Map<string, number> {
  const sorted = [...rows].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  runOrder = new Map(sorted.map((r, i) => [r.id, i]));
  return runOrder;
}

/** FNV-1a 32-bit hash of a string: cheap, well spread for uuids, identical in every JS engine. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The colour of a run: its place in the archive (`setRunOrder`) in RUN_PALETTE; a hash before it is listed. */
export function runColor(runId: string): string {
  const i = runOrder.get(runId);
  return RUN_PALETTE[(i ?? hashString(runId)) % RUN_PALETTE.length]!;
}

/** Canonical text of a group key (setup field path → value), independent of key order. */
export function groupKeyText(key: Record<string, unknown>): string {
  return Object.keys(key)
    .sort()
    .map((k) => `${k}=${JSON.stringify(key[k] ?? null)}`)
    .join('&');
}

/**
 * Colours of the groups shown together: palette entries by the groups' sorted keys, so up to 20
 * groups are distinct, and the same groups (a sweep's predictor kinds) get the same colours in the
 * sweep table, its bars, the compare lines and the compare table's swatches.
 */
export function groupColors(keys: readonly Record<string, unknown>[]): string[] {
  const texts = keys.map(groupKeyText);
  const order = [...new Set(texts)].sort();
  return texts.map((t) => RUN_PALETTE[order.indexOf(t) % RUN_PALETTE.length]!);
}

/** `#rrggbb` with an alpha in [0, 1], as `rgba(...)`, for translucent std bands. */
export function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/**
 * Stable run colours: a run's colour is a pure function of its id, so it is the same in every view,
 * every session and every chart, whatever else is selected beside it.
 */

/**
 * Fixed palette: 15 hues that stay apart on white and on the dark theme (no greys, which read as
 * "disabled"). More entries mean fewer collisions between two runs (1 in 15 for a pair).
 */
export const RUN_PALETTE = [
  '#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd',
  '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#393b79',
  '#637939', '#e7ba52', '#7b4173', '#ad494a', '#00a087',
] as const;

/** FNV-1a 32-bit hash of a string: cheap, well spread for uuids, identical in every JS engine. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The colour of a run (or of any key, e.g. a group label): hash of the id into RUN_PALETTE. */
export function runColor(runId: string): string {
  return RUN_PALETTE[hashString(runId) % RUN_PALETTE.length]!;
}

/**
 * The colour of a group of runs, from its key (setup field path → value), so a group such as
 * { "predictor.kind": "linear" } has one colour in Compare and in a sweep's result table.
 */
export function groupColor(key: Record<string, unknown>): string {
  const canon = Object.keys(key)
    .sort()
    .map((k) => `${k}=${JSON.stringify(key[k] ?? null)}`)
    .join('&');
  return runColor(canon);
}

/** `#rrggbb` with an alpha in [0, 1], as `rgba(...)`, for translucent std bands. */
export function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/**
 * Run colours: each run prefers one palette entry (its place in the archive), the same in every
 * view; a chart that shows runs preferring the same entry gives the newer of them the next free
 * one (`chartRunColors`), so no two lines of one chart share a colour.
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

/** OKLCH (lightness 0–1, chroma, hue in degrees) as `#rrggbb`, chroma lowered until it fits sRGB. */
function oklchHex(L: number, C: number, h: number): string {
  for (let c = C; ; c *= 0.9) {
    const a = c * Math.cos((h * Math.PI) / 180);
    const b = c * Math.sin((h * Math.PI) / 180);
    const l = (L + 0.3963377774 * a + 0.2158037573 * b) ** 3;
    const m = (L - 0.1055613458 * a - 0.0638541728 * b) ** 3;
    const s = (L - 0.0894841775 * a - 1.291485548 * b) ** 3;
    const rgb = [4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s, -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s, -0.0041960863 * l - 0.7034186147 * m + 1.707614701 * s];
    if (c < 1e-3 || rgb.every((v) => v >= -1e-4 && v <= 1 + 1e-4)) {
      return `#${rgb
        .map((v) => {
          const x = Math.min(1, Math.max(0, v));
          const g = x <= 0.0031308 ? 12.92 * x : 1.055 * x ** (1 / 2.4) - 0.055;
          return Math.round(g * 255).toString(16).padStart(2, '0');
        })
        .join('')}`;
    }
  }
}

/** The palette and the colours generated past it (each new, none repeated), grown on demand. */
const extended: string[] = [...RUN_PALETTE];
/** The next candidate of the generated colours. */
let nextCandidate = 0;

/**
 * The i-th colour: RUN_PALETTE's 20 first, then hues a golden angle apart at three lightness levels
 * of the palette's range (0.55–0.75), so a chart with more than 20 lines still repeats none.
 */
export function paletteColor(i: number): string {
  while (extended.length <= i) {
    const k = nextCandidate++;
    const c = oklchHex([0.64, 0.74, 0.56][k % 3]!, 0.14, (k * 137.508 + 20) % 360);
    if (!extended.includes(c)) extended.push(c);
  }
  return extended[i]!;
}

/**
 * The colours of the runs drawn together in one chart: each run keeps its own colour (`runColor`)
 * unless an older run of the chart (by archive order) already has it; then it takes the next
 * palette entry no run of the chart uses, and past 20 runs a generated colour. The result depends
 * on the set of runs only (not their order), so a chart's lines, bars and swatches agree.
 */
export function chartRunColors(ids: readonly string[]): Map<string, string> {
  const rank = (id: string) => runOrder.get(id) ?? Number.MAX_SAFE_INTEGER;
  const sorted = [...new Set(ids)].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const n = RUN_PALETTE.length;
  const taken = new Set<number>();
  const out = new Map<string, string>();
  let extra = n;
  for (const id of sorted) {
    const own = (runOrder.get(id) ?? hashString(id)) % n;
    let pick = -1;
    for (let j = 0; j < n && pick < 0; j++) if (!taken.has((own + j) % n)) pick = (own + j) % n;
    if (pick >= 0) {
      taken.add(pick);
      out.set(id, RUN_PALETTE[pick]!);
    } else out.set(id, paletteColor(extra++));
  }
  return out;
}

/** Canonical text of a group key (setup field path → value), independent of key order. */
export function groupKeyText(key: Record<string, unknown>): string {
  return Object.keys(key)
    .sort()
    .map((k) => `${k}=${JSON.stringify(key[k] ?? null)}`)
    .join('&');
}

/**
 * Colours of the groups shown together: palette entries by the groups' sorted keys (generated ones
 * past 20), so every group is distinct, and the same groups (a sweep's predictor kinds) get the same colours in the
 * sweep table, its bars, the compare lines and the compare table's swatches.
 */
export function groupColors(keys: readonly Record<string, unknown>[]): string[] {
  const texts = keys.map(groupKeyText);
  const order = [...new Set(texts)].sort();
  return texts.map((t) => paletteColor(order.indexOf(t)));
}

/** `#rrggbb` with an alpha in [0, 1], as `rgba(...)`, for translucent std bands. */
export function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** Formatting of numbers, durations and times for tables and status lines (pure, tested). */

/** "1 h 02 min", "3 min 05 s", "42 s"; "—" when unknown. */
export function formatDuration(sec: number | null | undefined): string {
  if (sec === null || sec === undefined || !Number.isFinite(sec) || sec < 0) return '—';
  const s = Math.round(sec);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** A metric value with ~4 significant digits; tiny/huge values in exponent form; "—" for none. */
export function formatNumber(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(Math.max(digits - 2, 1)).replace('e+', 'e');
  return String(Number(v.toPrecision(digits)));
}

/** A fraction in [0,1] as a percentage with one decimal: 0.8123 → "81.2 %". */
export function formatPercent(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return `${(v * 100).toFixed(1)} %`;
}

/** A timestamp (ms) as local "YYYY-MM-DD HH:MM". */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** How long ago, relative to `now`: "just now", "5 min ago", "3 h ago", "2 d ago". */
export function formatAge(ms: number, now = Date.now()): string {
  const s = Math.max(0, (now - ms) / 1000);
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400 * 2) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** Progress fraction in [0,1] of step/total (0 when unknown). */
export function progressFraction(step: number | null | undefined, total: number | null | undefined): number {
  if (!step || !total || total <= 0) return 0;
  return Math.min(1, Math.max(0, step / total));
}

/** A setup value for a table cell: arrays as "8×16", objects as JSON, booleans as on/off. */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return '—';
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (typeof v === 'number') return formatNumber(v);
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'number' ? formatNumber(x) : String(x))).join('×');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Metrics logged as fractions in [0, 1] that the lab shows as percentages everywhere. */
export const PERCENT_METRICS: ReadonlySet<string> = new Set(['probeAcc', 'knnAcc', 'probeTrainAcc']);

/** A metric's value in the one format every view uses: accuracies as "81.2 %", the rest as numbers. */
export function formatMetric(name: string, v: number | null | undefined, digits = 3): string {
  return PERCENT_METRICS.has(name) ? formatPercent(v) : formatNumber(v, digits);
}

/** "mean ± std" of a metric in that same format (accuracies "81.2 ± 1.3 %"). */
export function formatMeanStd(name: string, mean: number | null | undefined, std: number | null | undefined): string {
  if (mean === null || mean === undefined || !Number.isFinite(mean)) return '—';
  if (PERCENT_METRICS.has(name)) {
    return std === null || std === undefined || !Number.isFinite(std) ? formatPercent(mean) : `${(mean * 100).toFixed(1)} ± ${(std * 100).toFixed(1)} %`;
  }
  const m = String(Number(mean.toPrecision(3)));
  return std === null || std === undefined || !Number.isFinite(std) ? m : `${m} ± ${Number(std.toPrecision(2))}`;
}

/** Y-axis title of a metric with its unit: "linear probe accuracy (%)", "images/s", "loss (2 − 2cos)". */
export function metricAxisTitle(name: string, label: string): string {
  if (PERCENT_METRICS.has(name)) return `${label} (%)`;
  return METRIC_UNITS[name] ? `${label} (${METRIC_UNITS[name]})` : label;
}

const METRIC_UNITS: Record<string, string> = {
  loss: '2 − 2cos',
  lr: 'α',
  collapseStd: '1 = healthy',
  effectiveRank: 'of d',
  wallSec: 's',
};

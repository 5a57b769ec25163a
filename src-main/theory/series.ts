/**
 * Plain JSON shapes of simulation output, so the UI can plot with uPlot (one shared x array) and
 * the CLI can print them as they are.
 */

/** Time series: `t` (flow time) and named series of the same length. */
export interface TimeSeries {
  t: number[];
  series: Record<string, number[]>;
}

/** Appends one sample to every named series (creating it on first use). */
export function pushSample(ts: TimeSeries, t: number, values: Record<string, number>): void {
  ts.t.push(t);
  for (const [k, v] of Object.entries(values)) {
    let s = ts.series[k];
    if (!s) {
      s = [];
      ts.series[k] = s;
    }
    s.push(v);
  }
}

/** Evenly spaced sample times t0..t1 (inclusive), `count` ≥ 2 of them. */
export function sampleTimes(t0: number, t1: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(i === count - 1 ? t1 : t0 + ((t1 - t0) * i) / (count - 1));
  return out;
}

/** Round tick values for the theory canvases (pure: no DOM, tested in node). */

/** Round tick values between min and max (about n of them). */
export function ticks(min: number, max: number, n = 5): number[] {
  const span = max - min;
  const step0 = span / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => span / s <= n) ?? 10 * mag;
  const out: number[] = [];
  // Multiples of the step (not repeated sums): no 0.30000000000000004.
  for (let k = Math.ceil(min / step - 1e-9); k * step <= max + 1e-12; k++) out.push(Math.abs(k * step) < 1e-12 ? 0 : Number((k * step).toPrecision(12)));
  return out;
}

/** Round tick values within the samples' span: 1-2-2.5-5 steps on a linear axis, 1-2-5 per decade on a log one. */
export function axisTicks(samples: number[], scale: 'linear' | 'log'): number[] {
  const a = samples[0]!, b = samples[samples.length - 1]!;
  if (scale === 'linear') return ticks(a, b);
  const out: number[] = [];
  const decades = Math.log10(b / a);
  const mult = decades > 2.5 ? [1] : decades > 1.2 ? [1, 3] : [1, 2, 5];
  for (let e = Math.floor(Math.log10(a)); e <= Math.ceil(Math.log10(b)); e++) {
    for (const m of mult) {
      const v = Number((m * 10 ** e).toPrecision(6));
      if (v >= a * (1 - 1e-9) && v <= b * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

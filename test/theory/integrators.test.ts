import { test } from 'node:test';
import assert from 'node:assert/strict';
import { integrate } from '../../src-main/theory/index.ts';

// Harmonic oscillator y'' = −y: exact (cos t, −sin t) from (1, 0).
const oscillator = (_t: number, y: Float64Array, dy: Float64Array) => {
  dy[0] = y[1]!;
  dy[1] = -y[0]!;
};

function errorAt(t1: number, opts: Parameters<typeof integrate>[3]): { err: number; steps: number; samples: number } {
  const y = Float64Array.from([1, 0]);
  let samples = 0;
  const stats = integrate(oscillator, y, [0, t1 / 2, t1], opts, () => samples++);
  return { err: Math.hypot(y[0]! - Math.cos(t1), y[1]! + Math.sin(t1)), steps: stats.steps, samples };
}

test('RK4 is fourth order and visits every sample time', () => {
  const a = errorAt(10, { method: 'rk4', dt: 0.1 });
  const b = errorAt(10, { method: 'rk4', dt: 0.05 });
  assert.equal(a.samples, 3);
  assert.equal(a.steps, 100);
  const ratio = a.err / b.err;
  assert.ok(ratio > 12 && ratio < 20, `error ratio on halving dt: ${ratio}`);
});

test('Dormand–Prince meets its tolerance with far fewer steps than RK4', () => {
  const tight = errorAt(10, { method: 'dopri5', rtol: 1e-10, atol: 1e-12, maxSteps: 1e6 });
  assert.ok(tight.err < 1e-8, `error ${tight.err}`);
  const loose = errorAt(10, { method: 'dopri5', rtol: 1e-5, atol: 1e-8, maxSteps: 1e6 });
  assert.ok(loose.err < 1e-3 && loose.steps < tight.steps);
  assert.equal(tight.samples, 3);
});

test('integration reports divergence instead of returning non-finite states', () => {
  const blowUp = (_t: number, y: Float64Array, dy: Float64Array) => {
    dy[0] = y[0]! * y[0]!;
  };
  // y' = y² from 1 blows up at t = 1.
  assert.throws(() => integrate(blowUp, Float64Array.from([1]), [0, 2], { method: 'rk4', dt: 0.01 }, () => {}), /diverged|non-finite|Infinity|NaN/);
  assert.throws(() => integrate(blowUp, Float64Array.from([1]), [0, 2], { method: 'dopri5', rtol: 1e-8, atol: 1e-10, maxSteps: 1e5 }, () => {}), /dopri5|diverged/);
});

/**
 * The representation picture's renderer logic (src-renderer/src/lib/projection.ts): class colours
 * that read on both themes' backgrounds, the square frame (equal scale on both axes, a point cloud
 * of one point still drawable), the legend, the collapse wording and the step names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classColor, collapseNote, contrast, frameOf, hslToHex, legendOf, PLOT_BACKGROUND, stepLabel } from '../../src-renderer/src/lib/projection.ts';

test('class colours: at least 3:1 against the plot background in both themes, and distinct', () => {
  for (const theme of ['light', 'dark'] as const) {
    const colors = Array.from({ length: 64 }, (_, k) => classColor(k, theme));
    for (const [k, c] of colors.entries()) {
      assert.match(c, /^#[0-9a-f]{6}$/);
      const r = contrast(c, PLOT_BACKGROUND[theme]);
      assert.ok(r >= 3, `class ${k} (${c}) on the ${theme} theme: contrast ${r.toFixed(2)} < 3`);
    }
    assert.equal(new Set(colors.slice(0, 10)).size, 10, 'the first ten classes all differ');
    assert.equal(new Set(colors).size, 64, `${theme}: 64 classes, 64 colours`);
  }
  assert.notEqual(classColor(0, 'light'), classColor(0, 'dark'));
  assert.equal(hslToHex(0, 1, 0.5), '#ff0000');
  assert.equal(hslToHex(240, 1, 0.5), '#0000ff');
  assert.ok(Math.abs(contrast('#000000', '#ffffff') - 21) < 1e-9);
});

test('frame: a square around the points on the wider axis, centred; one point still gets a frame', () => {
  const f = frameOf([0, 10, 4], [1, 3, 2]);
  assert.deepEqual([f.cx, f.cy], [5, 2]);
  assert.ok(Math.abs(f.half - 5 * 1.08) < 1e-12, 'the x spread (10) decides the scale of both axes');
  const g = frameOf([2, 2, 2], [-1, -1, -1]);
  assert.deepEqual([g.cx, g.cy], [2, -1]);
  assert.ok(g.half > 0 && Number.isFinite(g.half));
  assert.deepEqual(frameOf([], []), { cx: 0, cy: 0, half: 1 });
  assert.deepEqual(frameOf([NaN, 1, 3], [0, 0, 2]), { cx: 2, cy: 1, half: 1.08 });
});

test('legend: the classes with points, in class order, named and counted', () => {
  const l = legendOf({ labels: [2, 0, 2, 5], classNames: ['cat', 'dog', 'bird'] }, 'light');
  assert.deepEqual(l.map((e) => [e.cls, e.name, e.count]), [[0, 'cat', 1], [2, 'bird', 2], [5, 'class 5', 1]]);
  assert.equal(l[1]!.color, classColor(2, 'light'));
});

test('collapse wording and step names', () => {
  assert.match(collapseNote({ explained: [0.5, 0.3], relativeVariance: 0.005 })!, /to a point/);
  assert.match(collapseNote({ explained: [0.97, 0.01], relativeVariance: 0.3 })!, /to a line/);
  assert.equal(collapseNote({ explained: [0.5, 0.3], relativeVariance: 0.3 }), null);
  assert.equal(collapseNote({ explained: [null, null], relativeVariance: null }), null);
  assert.equal(stepLabel(0, 40), 'random init');
  assert.equal(stepLabel(40, 40), 'end (step 40)');
  assert.equal(stepLabel(20, 40), 'step 20');
  assert.equal(stepLabel(20, null), 'step 20');
});

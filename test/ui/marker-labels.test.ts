/**
 * Marker value labels (src-renderer/src/lib/markerLabels.ts): two evaluations at one step (the
 * linear probe and kNN at step 0 of a live run) must not overprint, labels stay in the plot, off
 * other markers' dots, and a lone label keeps its usual place above-right of its dot.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placeMarkerLabels, type MarkerLabel, type PlacedLabel } from '../../src-renderer/src/lib/markerLabels.ts';

const plot = { left: 50, top: 10, width: 600, height: 300 };
const off = { dx: 9, rise: 11, dot: 6 };

function box(l: MarkerLabel, p: PlacedLabel) {
  const x0 = p.align === 'left' ? p.x : p.x - l.width;
  return { x0, x1: x0 + l.width, y0: p.y - l.height / 2, y1: p.y + l.height / 2 };
}
const overlap = (a: ReturnType<typeof box>, b: ReturnType<typeof box>) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

test('a lone label sits above-right of its dot; near the right edge, above-left', () => {
  const [p] = placeMarkerLabels([{ x: 100, y: 150, width: 80, height: 14 }], plot, off);
  assert.deepEqual(p, { x: 109, y: 139, align: 'left' });
  const [q] = placeMarkerLabels([{ x: 640, y: 150, width: 80, height: 14 }], plot, off);
  assert.deepEqual(q, { x: 631, y: 139, align: 'right' });
});

test('two labels at the same step and nearly the same value do not overprint', () => {
  // Linear probe 31.0 % and kNN 27.0 % at step 0: 4 points apart on a 0–100 % axis of 300 px.
  const labels: MarkerLabel[] = [
    { x: 50, y: 217, width: 110, height: 14 },
    { x: 50, y: 229, width: 70, height: 14 },
  ];
  const placed = placeMarkerLabels(labels, plot, off);
  const [a, b] = labels.map((l, i) => box(l, placed[i]!));
  assert.ok(!overlap(a!, b!), `labels overlap: ${JSON.stringify([a, b])}`);
  for (const [i, l] of labels.entries()) {
    const bx = box(l, placed[i]!);
    assert.ok(bx.y0 >= plot.top && bx.y1 <= plot.top + plot.height, 'inside the plot');
    for (const d of labels) assert.ok(!overlap(bx, { x0: d.x - 6, x1: d.x + 6, y0: d.y - 6, y1: d.y + 6 }), 'off every dot');
  }
});

test('many labels at one step all find their own rows', () => {
  const labels = Array.from({ length: 5 }, (_, k) => ({ x: 200, y: 150 + k, width: 90, height: 14 }));
  const placed = placeMarkerLabels(labels, plot, off);
  const boxes = labels.map((l, i) => box(l, placed[i]!));
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) assert.ok(!overlap(boxes[i]!, boxes[j]!), `labels ${i} and ${j} overlap`);
});

test('labels at different steps keep their usual places', () => {
  const labels = [{ x: 100, y: 150, width: 80, height: 14 }, { x: 400, y: 152, width: 80, height: 14 }];
  const placed = placeMarkerLabels(labels, plot, off);
  assert.deepEqual(placed.map((p) => p.y), [139, 141]);
});

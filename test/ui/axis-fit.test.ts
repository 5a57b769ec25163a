// The charts' axis logic (src-renderer/src/lib/axisFit.ts): a y axis as wide as its widest tick label
// (the fixed 60 px cut "0.000125"-long labels into the title), a title longer than the plot is tall
// wrapped onto whole-word lines that each fit, the "ignore outliers" range that leaves a step-1
// loss spike out, and the count of values it hides; plus the estimate's wording.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tickAxisWidth, wrapTitle, robustRange, countOutside } from '../../src-renderer/src/lib/axisFit.ts';
import { estimateText, roughDuration, type TimeEstimate } from '../../src-renderer/src/lib/estimate.ts';

/** A monospace stand-in for the canvas: 7 px a character. */
const mono = (t: string) => 7 * t.length;

test('axis width: the widest tick label + tick + gap, never under the minimum', () => {
  assert.equal(tickAxisWidth(['0', '0.5', '1'], mono, 10, 5, 40), 40);
  // "0.000125" is 56 px: 56 + 10 + 5 + 2 = 73 > the old fixed 60.
  assert.equal(tickAxisWidth(['0.000100', '0.000125', null], mono, 10, 5, 40), 73);
  assert.ok(tickAxisWidth(['1e-4', '1e-2', '1000000'], mono, 10, 5) > 60);
  assert.equal(tickAxisWidth(null, mono, 10, 5, 40), 40);
});

test('axis title: wrapped to whole-word lines that fit the plot height, nothing dropped', () => {
  const title = 'loss (2 − 2cos, two terms summed: 0–8)';
  assert.ok(mono(title) > 146, 'the title is longer than a 220 px chart\'s plot');
  const lines = wrapTitle(title, 146, mono);
  assert.ok(lines.length >= 2);
  for (const l of lines) assert.ok(mono(l) <= 146, `"${l}" fits`);
  assert.equal(lines.join(' '), title);
  assert.deepEqual(wrapTitle('accuracy (%)', 146, mono), ['accuracy (%)']);
  assert.deepEqual(wrapTitle('', 146, mono), []);
  // One unbreakable word wider than the room: cut with an ellipsis, the only case that loses text.
  const [w] = wrapTitle('x'.repeat(40), 70, mono);
  assert.ok(mono(w!) <= 70 && w!.endsWith('…'));
  // At most three lines; the rest joins the last, ellipsised.
  const many = wrapTitle('a b c d e f g h', 7, mono);
  assert.equal(many.length, 3);
});

test('ignore outliers: the step-1 spike is left out, the curve keeps its range, a curve without outliers has none', () => {
  // A loss curve: 8 at step 1, then 2.2 falling slowly to 1.7.
  const loss = [8, ...Array.from({ length: 47 }, (_, i) => 2.2 - (0.5 * i) / 46)];
  const r = robustRange([loss]);
  assert.ok(r, 'a range');
  assert.ok(r![1] < 3 && r![1] >= 2.2, `top ${r![1]}`);
  assert.ok(r![0] <= 1.7 && r![0] > 1.6, `bottom ${r![0]}`);
  assert.deepEqual(countOutside([loss], r!), { below: 0, above: 1 });
  // Nothing beyond the fences: the ordinary range stays.
  assert.equal(robustRange([loss.slice(1)]), null);
  assert.equal(robustRange([[1, 1, 1, 1, 1, 9]]), null, 'flat middle: no IQR to judge by');
  assert.equal(robustRange([[1, 100, null]]), null, 'too few values');
  // Every column counts (two runs in one chart), nulls ignored.
  const two = robustRange([[1, 1.1, 1.2, null, 1.3], [1.05, 1.15, 50]]);
  assert.ok(two && two[1] < 2);
});

test('estimate wording: time, runs at once, what it rests on, or why there is none', () => {
  const base: TimeEstimate = { runs: 6, reused: 0, unknown: 0, scaled: 0, probed: 0, invalid: 0, totalSec: 600, wallSec: 300, parallel: 2, cores: 2, concurrency: 2, basisRuns: 3, backend: 'wasm', basis: 'recorded', probe: null };
  const e = estimateText(base);
  assert.equal(e.text, '~5 min for 6 runs on 2 at once');
  assert.match(e.detail, /3 finished runs of this shape on wasm/);
  assert.equal(e.tone, 'ok');
  assert.match(estimateText({ ...base, basis: 'scaled', scaled: 6 }).text, /^≈ 5 min/);
  assert.match(estimateText({ ...base, basis: 'scaled', scaled: 6 }).detail, /rough/);
  assert.equal(estimateText({ ...base, wallSec: 5 * 3600 }).tone, 'long');
  const none = estimateText({ ...base, wallSec: null, unknown: 6, basis: 'none', basisRuns: 0 });
  assert.equal(none.tone, 'unknown');
  assert.match(none.detail, /no finished run of a similar size on wasm/);
  assert.match(estimateText({ ...base, reused: 6, wallSec: 0 }).text, /nothing to train/);
  // A probe: "measuring…" while it runs, then its figure says what it rests on; a failed one says why.
  const needed = { ...base, runs: 1, wallSec: null, unknown: 1, basis: 'none' as const, basisRuns: 0, probe: { status: 'needed' as const } };
  assert.equal(estimateText(needed, true).text, 'measuring…');
  const probed = estimateText({ ...base, runs: 1, totalSec: 185, wallSec: 185, probed: 1, basis: 'probe', basisRuns: 1, probe: { status: 'measured', steps: 20, perStepSec: 0.12, fixedSec: 9.4 } });
  assert.equal(probed.text, '≈ 3 min for 1 run (20-step probe)');
  assert.match(probed.detail, /measured by a 20-step probe/);
  assert.match(probed.detail, /0\.120 s a step \+ 9 s of start-up, data and evaluation/);
  const failed = estimateText({ ...needed, probe: { status: 'failed', message: 'the probe of this machine\'s pace failed: it passed its 150 s cap' } });
  assert.equal(failed.text, 'time unknown for 1 run');
  assert.match(failed.detail, /150 s cap/);
  assert.equal(roughDuration(3 * 3600 + 20 * 60 + 10), '~3 h 20 min');
  assert.equal(roughDuration(0.2), '~1 s');
});

// Issue 23: a sweep's baseline is stored with it (its definition in the archive) and read back by
// `dplab sweep table`, the Sweeps view and "Edit as new sweep". What comes back from a file is input
// like any other: storedBaseline checks it again as a sweep file's is, and names what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storedBaseline } from '../../src-main/common/sweep.ts';

const axes = { 'predictor.kind': ['none', 'linear'], 'optim.lr': [0.01, 0.1] };

test('a stored baseline that is one of the axes\' values comes back whole, with its metric and margin', () => {
  assert.deepEqual(storedBaseline({ axes, baseline: { path: 'optim.lr', value: 0.1, metric: 'collapseStd', margin: 0.05 } }), {
    baseline: { path: 'optim.lr', value: 0.1, metric: 'collapseStd', margin: 0.05 },
    problem: null,
  });
  // The list form of the axes, as a sweep file may give them.
  assert.deepEqual(storedBaseline({ axes: [{ path: 'predictor.kind', values: ['none', 'linear'] }], baseline: { path: 'predictor.kind', value: 'none' } }).baseline, { path: 'predictor.kind', value: 'none' });
  assert.deepEqual(storedBaseline({ axes }), { baseline: null, problem: null }, 'no baseline: neither');
  assert.deepEqual(storedBaseline(null), { baseline: null, problem: null });
  assert.deepEqual(storedBaseline('{"baseline":1}'), { baseline: null, problem: null }, 'not an object');
});

test('a stored baseline that fails the check is named, never returned', () => {
  const bad = (baseline: unknown, a: unknown = axes) => storedBaseline({ axes: a, baseline });
  const cases: [unknown, RegExp][] = [
    [{ path: 'optim.lr', value: 0.3 }, /baseline\.value: 0\.3 is not a value of axis 'optim\.lr' \(values: 0\.01, 0\.1\)/],
    [{ path: 'seed', value: 0 }, /baseline\.path: 'seed' is not an axis of this sweep \(axes: predictor\.kind, optim\.lr\)/],
    [{ path: 'optim.lr', value: 0.1, margin: -1 }, /baseline\.margin: /],
    [{ path: 'optim.lr', value: 0.1, margin: 'big' }, /baseline\.margin: /],
    [{ path: 'optim.lr', value: 0.1, metric: 'constructor' }, /baseline\.metric: /],
    [{ path: 'optim.lr', value: 0.1, run: 'rm -rf /' }, /baseline: .*run/],
    [{ path: 'optim.lr' }, /baseline\.value: /],
    [7, /baseline: /],
    [null, /baseline: /],
  ];
  for (const [b, re] of cases) {
    const r = bad(b);
    assert.equal(r.baseline, null, JSON.stringify(b));
    assert.match(r.problem ?? '', re, JSON.stringify(b));
  }
  // A prototype key in what was stored is refused by name before anything reads it.
  const proto = storedBaseline(JSON.parse('{"axes":{"optim.lr":[0.1]},"baseline":{"path":"optim.lr","value":0.1,"__proto__":{"margin":5}}}'));
  assert.equal(proto.baseline, null);
  assert.match(proto.problem ?? '', /baseline\.__proto__: '__proto__' may not be a key of a sweep/);
  // Axes that are not axes: the baseline cannot be one of their values.
  assert.match(bad({ path: 'optim.lr', value: 0.1 }, 'optim.lr').problem ?? '', /axes/);
  // A control character in what is stored is shown escaped.
  assert.doesNotMatch(bad({ path: 'a\nb\u001b[2J', value: 1 }).problem ?? '', /[\n\u001b]/);
});

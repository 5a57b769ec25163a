// Names with control characters (issue 21 items 1 and 7): a line feed in a sweep's name once ran a
// command through the Slurm job script, and one in a run's name broke `dplab runs list`. New names
// (a setup's, a sweep's, runs.start's, a tag) are refused naming the character and its position;
// names the archive already holds still load and are printed escaped, one row per run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openArchive } from '../../src-main/archive/archive.ts';
import { Requests } from '../../src-main/contract/index.ts';
import { formatGroupTable, groupRuns } from '../../src-main/runs/aggregate.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import { checkSetup, parseSetup } from '../../src-main/common/setup.ts';
import { expandSweep } from '../../src-main/common/sweep.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';

const dir = mkdtempSync(join(tmpdir(), 'dplab-names-'));
const bin = fileURLToPath(new URL('../../bin/dplab.mjs', import.meta.url));
function dplab(archive: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, DPLAB_ARCHIVE: archive }, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const CASES: [string, RegExp][] = [
  ['sweep-1\ntouch x', /control character U\+000A \(line feed\) at position 8/],
  ['a\rb', /U\+000D \(carriage return\) at position 2/],
  ['\u0000', /U\+0000 \(null\) at position 1/],
  ['red \u001b[31m', /U\+001B \(escape\) at position 5/],
  ['tab\there', /U\+0009 \(tab\) at position 4/],
  ['𝔸\u2028b', /U\+2028 \(line separator\) at position 2/],
  ['x\u202eevil', /U\+202E \(bidirectional control\) at position 2/],
  ['del\u007f', /U\+007F \(delete\) at position 4/],
  ['c1\u0085', /U\+0085 \(next line\) at position 3/],
];

test('a setup, sweep, runs.start or tag name with a control character is refused, naming the character and where it is', () => {
  for (const [name, re] of CASES) {
    const s = checkSetup({ name });
    assert.ok(!s.ok, JSON.stringify(name));
    assert.equal(s.issues.length, 1);
    assert.equal(s.issues[0]!.path, 'name');
    assert.match(s.issues[0]!.message, re);

    const sw = expandSweep({ name, base: QUICK_SETUP, seeds: 1 });
    assert.equal(sw.members.length, 0);
    assert.equal(sw.issues[0]!.path, 'name', JSON.stringify(sw.issues));
    assert.match(sw.issues[0]!.message, re);

    const start = Requests['runs.start'].safeParse({ setup: {}, name });
    assert.ok(!start.success);
    assert.deepEqual(start.error.issues[0]!.path, ['name']);
    assert.match(start.error.issues[0]!.message, re);

    const sweep = Requests['sweeps.start'].safeParse({ definition: { name, base: {}, seeds: 1 } });
    assert.ok(!sweep.success);
    assert.match(sweep.error.issues[0]!.message, re);

    const tag = Requests['runs.tag'].safeParse({ runId: 'abcd', add: ['ok', name] });
    assert.ok(!tag.success);
    assert.match(tag.error.issues[0]!.message, re);
  }
  // Ordinary names, any script, stay accepted.
  for (const name of ['grid lr=0.1 seed=0', 'été — 実験 ✓', "it's \"quoted\" $(not run) `x` ; #"]) {
    assert.ok(checkSetup({ name }).ok, name);
    assert.equal(expandSweep({ name, base: QUICK_SETUP, seeds: 1 }).issues.length, 0, name);
    assert.ok(Requests['runs.start'].safeParse({ setup: {}, name }).success, name);
  }
});

test('a name the archive already holds with a control character still loads (stored setups are not held to the rule)', () => {
  const raw = { ...QUICK_SETUP, name: 'old\nrun' };
  assert.equal(checkSetup(raw).ok, false);
  assert.equal(parseSetup(raw, { stored: true }).name, 'old\nrun');
});

test('an axis value with a line feed does not put one in the member names the sweep makes', () => {
  const x = expandSweep({ name: 'g', base: QUICK_SETUP, axes: { 'data.dataset': ['synthetic', 'bad\nname'] }, seeds: 1 });
  for (const i of x.issues) assert.notEqual(i.path, 'name', JSON.stringify(i));
  const y = expandSweep({ name: 'g', base: QUICK_SETUP, axes: { 'predictor.kind': ['linear', 'directpred'] }, seeds: 1 });
  assert.deepEqual(y.members.map((m) => m.name), ['g predictor.kind=linear seed=0', 'g predictor.kind=directpred seed=0']);
});

test('dplab runs list/show print an archived name or tag with a line break escaped, one row per run; new control characters are refused', () => {
  const file = join(dir, 'old.sqlite');
  const a = openArchive(file);
  const setup = parseSetup({ ...QUICK_SETUP, name: 'old\nrun' }, { stored: true });
  const r1 = a.createRun({ name: 'old\nrun\r\u001b[2Jcleared', setup, setupHash: setupHash(setup), seed: 0, status: 'completed' });
  a.createRun({ name: 'plain', setup, setupHash: setupHash(setup), seed: 1, status: 'completed' });
  a.addTags(r1.uuid, ['t\nag']);
  a.close();

  const list = dplab(file, 'runs', 'list');
  assert.equal(list.code, 0, list.err);
  const lines = list.out.trimEnd().split('\n');
  assert.equal(lines.length, 3, `a header and one line per run:\n${list.out}`);
  assert.doesNotMatch(list.out, /[\r\u001b]/);
  assert.ok(lines.some((l) => l.startsWith(r1.uuid.slice(0, 8)) && l.includes('old\\nrun\\r\\x1b[2Jcleared') && l.endsWith('t\\nag')), list.out);
  // Columns line up: each name starts under the header's "name".
  const col = lines[0]!.indexOf('name');
  assert.deepEqual(lines.slice(1).map((l) => Math.max(l.indexOf('old\\n'), l.indexOf('plain'))), [col, col], list.out);

  const show = dplab(file, 'runs', 'show', r1.uuid.slice(0, 8));
  assert.equal(show.code, 0, show.err);
  assert.match(show.out, /^run {7}\S+ {2}old\\nrun\\r\\x1b\[2Jcleared$/m);
  assert.match(show.out, /^tags {6}t\\nag$/m);

  const tag = dplab(file, 'runs', 'tag', r1.uuid.slice(0, 8), 'fine', 'bad\ttag');
  assert.equal(tag.code, 2, tag.err);
  assert.match(tag.err, /tag 'bad\\ttag' contains a control character U\+0009 \(tab\) at position 4/);

  const sweep = join(dir, 'sweep.json');
  writeFileSync(sweep, JSON.stringify({ name: 'x\ntouch y', base: QUICK_SETUP, seeds: 1 }));
  const sw = dplab(file, 'sweep', sweep, '--dry-run');
  assert.equal(sw.code, 2, sw.err);
  assert.match(sw.err, /name: contains a control character U\+000A \(line feed\) at position 2/);
});

test('a sweep table grouped by name (--by name) keeps each group on one line when an archived name holds a line break', () => {
  const setup = (name: string) => parseSetup({ ...QUICK_SETUP, name }, { stored: true });
  const runs = ['old\nrun', 'plain'].map((name, i) => ({ uuid: `r${i}`, status: 'completed', setup: setup(name), summary: { finalLoss: 1 + i } }));
  const table = formatGroupTable(groupRuns(runs, ['name'], ['finalLoss']), ['name'], ['finalLoss']);
  const lines = table.split('\n');
  assert.equal(lines.length, 3, table);
  assert.match(lines[1]!, /^old\\nrun +1 /);
});

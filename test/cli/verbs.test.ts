// Issue 25: every verb of dplab runs, sweep, archive, data and reproduce reads its own options only.
// An option of another verb (or a misspelt one) exits 2 naming the option and the verb, and does
// nothing: dplab runs list --remove foo --file bar --checkpoint-every 3 exited 0 ignoring all three,
// and dplab sweep cancel <id> --by x cancelled the sweep. Through the real CLI, on a real archive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openArchive } from '../../src-main/archive/archive.ts';
import { createSweepRuns } from '../../src-main/runs/sweep.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';
import { expandSweep } from '../../src-main/common/sweep.ts';
import { dplabInProcess } from './in-process.ts';

const bin = fileURLToPath(new URL('../../bin/dplab.mjs', import.meta.url));

/** A real `dplab` process, for the cases whose point is the executable itself. */
function dplabProcess(env: Record<string, string>, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 }, (e, out, err) => {
      done({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, out, err });
    });
  });
}

/**
 * These cases check how each verb reads its options (an exit code and a message): the CLI's main()
 * in this process, one case after another (test/cli/in-process.ts); the first case of each test
 * goes through the real executable as well.
 */
async function dplab(env: Record<string, string>, args: string[], real = false): Promise<{ code: number; out: string; err: string }> {
  return real ? dplabProcess(env, args) : dplabInProcess(args, env);
}

/** Runs the cases in order, the first through a real process. */
async function all<T, R>(items: T[], fn: (t: T, real: boolean) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const [i, t] of items.entries()) out.push(await fn(t, i === 0));
  return out;
}

test('an option the verb does not read exits 2 naming the option and the verb, and changes nothing', { timeout: 110_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-verbs-'));
  try {
    const file = join(dir, 'lab.sqlite');
    const a = openArchive(file);
    const run = a.createRun({ name: 'kept', setup: { version: 1 }, setupHash: 'h', seed: 0 });
    a.appendEvents(run.uuid, [
      { type: 'finished', outcome: 'completed', summary: { outcome: 'completed', setupHash: 'h', backend: 'wasm', steps: 10, epochs: 1, finalLoss: 1, collapseStd: 0.5, effectiveRank: 3, probeAcc: 0.6, knnAcc: 0.5, imagesPerSec: 1, wallSec: 1 } },
    ]);
    const { definition, members } = expandSweep({ name: 'held', base: QUICK_SETUP, axes: { 'optim.lr': [0.01, 0.1] }, seeds: 1 });
    const { sweepId } = createSweepRuns(a, definition!, members);
    a.close();
    const sweepFile = join(dir, 'sweep.json');
    writeFileSync(sweepFile, JSON.stringify({ base: QUICK_SETUP, axes: { 'optim.lr': [0.01] }, seeds: 1 }));
    const u = run.uuid;
    // [arguments, the option refused, the verb named in the message]
    const cases: [string[], string, string][] = [
      [['runs', 'list', '--remove', 'foo', '--file', 'bar', '--checkpoint-every', '3'], '--remove', 'dplab runs list'],
      [['runs', 'list', '--checkpoint-every', '3'], '--checkpoint-every', 'dplab runs list'],
      [['runs', 'show', u, '--all'], '--all', 'dplab runs show'],
      [['runs', 'compare', u, '--format', 'csv'], '--format', 'dplab runs compare'],
      [['runs', 'export', u, '--remove', 'x'], '--remove', 'dplab runs export'],
      [['runs', 'rm', u, '--json'], '--json', 'dplab runs rm'],
      [['runs', 'tag', u, 'added', '--file', 'x'], '--file', 'dplab runs tag'],
      [['runs', 'note', u, 'text', '--status', 'completed'], '--status', 'dplab runs note'],
      [['runs', 'resume', u, '--what', 'metrics'], '--what', 'dplab runs resume'],
      [['runs', 'cancel', u, '--limit', '3'], '--limit', 'dplab runs cancel'],
      [['runs', 'list', '--jsn'], '--jsn', 'dplab runs list'],
      [['sweep', 'table', sweepId, '--executor', 'slurm'], '--executor', 'dplab sweep table'],
      [['sweep', 'status', sweepId, '--by', 'optim.lr'], '--by', 'dplab sweep status'],
      [['sweep', 'watch', sweepId, '--concurrency', '2'], '--concurrency', 'dplab sweep watch'],
      [['sweep', 'cancel', sweepId, '--by', 'optim.lr'], '--by', 'dplab sweep cancel'],
      [['sweep', 'task', dir, '0', '--json'], '--json', 'dplab sweep task'],
      [['sweep', sweepFile, '--dry-run', '--remove', 'x'], '--remove', 'dplab sweep'],
      [['archive', 'path', '--json'], '--json', 'dplab archive path'],
      [['archive', 'import', file, '--json'], '--json', 'dplab archive import'],
      [['data', 'formats', '--json'], '--json', 'dplab data formats'],
      [['data', 'rm', 'nothing-here', '--force'], '--force', 'dplab data rm'],
      [['reproduce', 'list', '--seeds', '3'], '--seeds', 'dplab reproduce list'],
      [['reproduce', 'report', '--json'], '--json', 'dplab reproduce report'],
      [['reproduce', 'run', '--out', join(dir, 'rep')], '--out', 'dplab reproduce run'],
    ];
    const env = { DPLAB_ARCHIVE: file, DPLAB_DATA_DIR: join(dir, 'data') };
    const results = await all(cases, ([args], real) => dplab(env, args, real));
    cases.forEach(([args, option, verb], i) => {
      const r = results[i]!;
      const what = `dplab ${args.join(' ')}: exit ${r.code}\n${r.err}`;
      assert.equal(r.code, 2, what);
      assert.ok(r.err.startsWith(`${verb}: unknown option ${option} (`), what);
      assert.match(r.err, /takes (--[a-z]|no options)/, `${what}\nthe message lists what the verb takes`);
    });
    // Nothing was done: the run, its tags and note, and the sweep's queued members are as they were.
    const b = openArchive(file, { readonly: true });
    try {
      const kept = b.getRun(u)!;
      assert.equal(kept.status, 'completed');
      assert.deepEqual(kept.tags, []);
      assert.equal(b.getNote(u), null);
      assert.deepEqual(b.listRuns({ sweep: sweepId }).map((r) => r.status), ['queued', 'queued'], 'sweep cancel --by did not cancel');
    } finally {
      b.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a verb's --help lists its own options only; the sub-command's help lists every verb", { timeout: 60_000 }, async () => {
  const [list, tag, runs, table] = await all(
    [['runs', 'list', '--help'], ['runs', 'tag', '--help'], ['runs', '--help'], ['sweep', 'table', '--help']],
    (args, real) => dplab({}, args, real),
  );
  assert.equal(list!.code, 0);
  assert.match(list!.out, /^usage: dplab runs list .*--status/);
  assert.doesNotMatch(list!.out, /--remove|--checkpoint-every|--file|--format/);
  assert.match(tag!.out, /--remove/);
  assert.doesNotMatch(tag!.out, /--status|--limit/);
  for (const v of ['list', 'show', 'compare', 'export', 'rm', 'tag', 'note', 'resume', 'cancel']) assert.match(runs!.out, new RegExp(`^  ${v} `, 'm'), v);
  assert.match(table!.out, /^usage: dplab sweep table <sweep-uuid> \[--by path,path\] \[--baseline path=value\] \[--metric NAME\] \[--margin X\] \[--max-seeds N\] \[--json\] \[--archive FILE\]/);
  assert.doesNotMatch(table!.out, /--executor|--concurrency|--partition|--until-decided/);
});

test('options may stand before the verb; a verb the sub-command lacks is refused', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-verbs-'));
  try {
    const file = join(dir, 'lab.sqlite');
    const [before, unknown, proto] = await all(
      [['runs', '--archive', file, 'list', '--json'], ['runs', 'frobnicate'], ['runs', 'constructor']],
      (args, real) => dplab({ DPLAB_ARCHIVE: join(dir, 'other.sqlite') }, args, real),
    );
    assert.equal(before!.code, 0, before!.err);
    assert.equal(before!.out.trim(), '[]');
    assert.equal(unknown!.code, 2);
    assert.match(unknown!.err, /^dplab runs: unknown sub-command 'frobnicate'/);
    assert.equal(proto!.code, 2, 'a name on Object.prototype is no verb');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Issue 21 item 2: a cluster sweep's shard brings its member's run and nothing else. Crafted shards
// (wrong uuid, another setup, extra runs, links into another sweep, a symbolic link, a folder naming
// trained runs of another sweep) are refused or cut down to the member, and the lab archive is
// otherwise unchanged; `dplab archive import FOLDER` says what it merged and what it refused. Both
// ways a shard comes in are driven: the CLI import and the Slurm executor's poll.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openArchive } from '../../src-main/archive/archive.ts';
import { archiveCommand } from '../../src-main/cli/archive.ts';
import { createExecutor } from '../../src-main/runs/executor-registry.ts';
import { createSweepRuns } from '../../src-main/runs/sweep.ts';
import { folderPaths, writeSweepFolder, type SweepManifest } from '../../src-main/runs/sweep-folder.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import { clusterFixture, setupOf, snapshot, writeShard, type Fixture } from './shard-fixture.ts';

/** `dplab archive import` in this process, with what it printed. */
async function cliImport(labFile: string, what: string): Promise<{ code: number; out: string; err: string }> {
  const log = console.log;
  const error = console.error;
  let out = '';
  let err = '';
  console.log = (...a: unknown[]) => void (out += `${a.join(' ')}\n`);
  console.error = (...a: unknown[]) => void (err += `${a.join(' ')}\n`);
  try {
    const code = await archiveCommand(['import', what, '--archive', labFile]);
    return { code, out, err };
  } finally {
    console.log = log;
    console.error = error;
  }
}

/** The snapshot without member `uuid` (the one run a legit shard may change). */
function except(s: ReturnType<typeof snapshot>, uuid: string) {
  const { [uuid]: _gone, ...runs } = s.runs;
  return { runs, sweeps: s.sweeps };
}

const shardOf = (f: Fixture, i: number) => folderPaths(f.folder).shard(i);

test('a legit shard replaces its own placeholder, once; the counts say so', async () => {
  const f = clusterFixture();
  writeShard(shardOf(f, 0), [{ uuid: f.members[0]!.uuid, setup: f.members[0]!.setup, sweep: f.sweep, idx: 0 }], { folder: f.folder, idx: 0 });
  const before = snapshot(f.labFile);
  const r = await cliImport(f.labFile, f.folder);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /imported 1 run\(s\) from the sweep folder .*; 0 already present/);
  const after = snapshot(f.labFile);
  assert.deepEqual(except(after, f.members[0]!.uuid), except(before, f.members[0]!.uuid));
  assert.match(after.runs[f.members[0]!.uuid]!, /^completed\|wasm\|.*\|3\|0\.25,0\.25,0\.25\|3$/);
  const again = await cliImport(f.labFile, f.folder);
  assert.match(again.out, /imported 0 run\(s\) .*; 1 already present/);
  assert.deepEqual(snapshot(f.labFile), after);
});

test('a shard holding another run than the member (wrong uuid) is refused and adds nothing', async () => {
  const f = clusterFixture();
  const [stranger] = writeShard(shardOf(f, 0), [{ uuid: randomUUID(), setup: f.members[0]!.setup, sweep: f.sweep, idx: 0 }], { folder: f.folder, idx: 0 });
  const before = snapshot(f.labFile);
  const r = await cliImport(f.labFile, f.folder);
  assert.equal(r.code, 1);
  assert.match(r.out, /imported 0 run\(s\).*1 shard\(s\) refused/);
  assert.match(r.err, new RegExp(`member 0: .*not the member's run ${f.members[0]!.uuid}`));
  assert.deepEqual(snapshot(f.labFile), before);
  assert.equal(before.runs[stranger!], undefined);
});

test("the member's uuid with another setup (hash) is refused; the placeholder stays", async () => {
  const f = clusterFixture();
  const other = setupOf(1, 0.5); // member 0's seed, another learning rate
  writeShard(shardOf(f, 0), [{ uuid: f.members[0]!.uuid, setup: other, sweep: f.sweep, idx: 0 }], { folder: f.folder, idx: 0 });
  // The same forgery with the recorded hash stored over a setup that does not have it.
  writeShard(shardOf(f, 1), [{ uuid: f.members[1]!.uuid, setup: other, hash: setupHash(f.members[1]!.setup), sweep: f.sweep, idx: 1 }], { folder: f.folder, idx: 1 });
  const before = snapshot(f.labFile);
  const r = await cliImport(f.labFile, f.folder);
  assert.equal(r.code, 1);
  assert.match(r.out, /imported 0 run\(s\).*2 shard\(s\) refused/);
  assert.match(r.err, /member 0: .*setup hash [0-9a-f]{64}, the sweep recorded [0-9a-f]{64}/);
  assert.match(r.err, /member 1: .*does not hash to its recorded setup hash/);
  assert.deepEqual(snapshot(f.labFile), before);
  assert.match(before.runs[f.members[0]!.uuid]!, /^queued\|null\|/);
});

test('extra runs and sweep links in a shard are ignored: only the member comes in, and the CLI counts it alone', async () => {
  const f = clusterFixture();
  const extras = Array.from({ length: 3 }, (_, k) => ({ setup: setupOf(50 + k), sweep: f.sweep, idx: 10 + k }));
  // One more run linked into the lab's local sweep, and the local completed run's uuid re-linked there too.
  const crafted = [
    { uuid: f.members[0]!.uuid, setup: f.members[0]!.setup, sweep: f.sweep, idx: 0 },
    ...extras,
    { setup: setupOf(60), sweep: f.local.sweep, idx: 7 },
  ];
  const uuids = writeShard(shardOf(f, 0), crafted, { folder: f.folder, idx: 0 });
  const before = snapshot(f.labFile);
  const r = await cliImport(f.labFile, f.folder);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /imported 1 run\(s\) from the sweep folder .*; 4 other run\(s\) found in the shards ignored/);
  const after = snapshot(f.labFile);
  assert.equal(after.counts.runs, before.counts.runs, 'the placeholder was replaced, nothing added');
  for (const u of uuids.slice(1)) assert.equal(after.runs[u], undefined, `extra run ${u} stayed out`);
  assert.deepEqual(after.sweeps[f.local.sweep], before.sweeps[f.local.sweep], 'the local sweep gained no member');
  assert.deepEqual(after.sweeps[f.sweep], before.sweeps[f.sweep]);
  assert.deepEqual(except(after, f.members[0]!.uuid), except(before, f.members[0]!.uuid));
  assert.match(after.runs[f.members[0]!.uuid]!, /^completed\|wasm\|/);
});

test('a shard that is a symbolic link (file or shards/ folder) to an archive elsewhere is not opened', async () => {
  const f = clusterFixture();
  const outside = join(f.dir, 'outside.sqlite');
  writeShard(outside, [{ uuid: f.members[0]!.uuid, setup: f.members[0]!.setup, sweep: f.sweep, idx: 0 }], { folder: f.folder, idx: 0 });
  symlinkSync(outside, shardOf(f, 0));
  const before = snapshot(f.labFile);
  const r = await cliImport(f.labFile, f.folder);
  assert.equal(r.code, 1);
  assert.match(r.err, /member 0: .*not a regular file \(a symbolic link\)/);
  assert.deepEqual(snapshot(f.labFile), before);

  // shards/ itself a link to a folder elsewhere holding a "0.sqlite".
  const g = clusterFixture();
  const elsewhere = join(g.dir, 'elsewhere');
  mkdirSync(elsewhere);
  writeShard(join(elsewhere, '0.sqlite'), [{ uuid: g.members[0]!.uuid, setup: g.members[0]!.setup, sweep: g.sweep, idx: 0 }], { folder: g.folder, idx: 0 });
  renameSync(join(g.folder, 'shards'), join(g.dir, 'old-shards'));
  symlinkSync(elsewhere, join(g.folder, 'shards'));
  const before2 = snapshot(g.labFile);
  const r2 = await cliImport(g.labFile, g.folder);
  assert.equal(r2.code, 1);
  assert.match(r2.err, /member 0: .*shards is not a folder \(a symbolic link\)/);
  assert.deepEqual(snapshot(g.labFile), before2);
});

test('a folder naming trained, interrupted or queued runs of another sweep replaces none of them', async () => {
  const f = clusterFixture();
  // A crafted folder: its manifest claims the lab's local sweep and its runs as members, with their true setup hashes.
  const crafted = join(f.dir, 'crafted-folder');
  const targets = [f.local.completed, f.local.interrupted, f.local.queued];
  const manifest: SweepManifest = {
    version: 1,
    sweepUuid: f.local.sweep,
    name: 'local',
    definition: { executor: { kind: 'slurm', folder: crafted } } as SweepManifest['definition'],
    createdAt: Date.now(),
    jobId: null,
    backend: 'wasm',
    checkpointEvery: 100,
    maxRequeues: 0,
    members: targets.map((t, idx) => ({ idx, runUuid: t.uuid, name: `x${idx}`, combo: {}, setupHash: setupHash(t.setup) })),
  };
  writeSweepFolder(crafted, manifest, targets.map((t) => t.setup));
  targets.forEach((t, idx) => writeShard(folderPaths(crafted).shard(idx), [{ uuid: t.uuid, setup: t.setup, sweep: f.local.sweep, idx, loss: 9 }], { folder: crafted, idx }));
  // And a folder of the cluster sweep whose member 1 claims to be the local interrupted run.
  const m = JSON.parse(JSON.stringify(manifest)) as SweepManifest;
  const second = join(f.dir, 'second-folder');
  m.sweepUuid = f.sweep;
  m.members = [{ idx: 1, runUuid: f.local.interrupted.uuid, name: 'x', combo: {}, setupHash: setupHash(f.local.interrupted.setup) }];
  writeSweepFolder(second, m, [f.local.interrupted.setup]);
  writeShard(folderPaths(second).shard(1), [{ uuid: f.local.interrupted.uuid, setup: f.local.interrupted.setup, sweep: f.sweep, idx: 1, loss: 9 }], { folder: second, idx: 1 });

  const before = snapshot(f.labFile);
  const r = await cliImport(f.labFile, crafted);
  assert.equal(r.code, 1);
  assert.match(r.out, /imported 0 run\(s\).*3 shard\(s\) refused/);
  assert.match(r.err, /member 1: .*sweep [0-9a-f-]+ in .* is not a cluster sweep/);
  const r2 = await cliImport(f.labFile, second);
  assert.equal(r2.code, 1);
  assert.match(r2.err, /member 1: .*member 1 of the sweep in .* is run [0-9a-f-]+, not /);
  const after = snapshot(f.labFile);
  assert.deepEqual(after, before);
  assert.match(after.runs[f.local.interrupted.uuid]!, /^interrupted\|wasm\|/, 'still interrupted and resumable');
});

test("the Slurm executor's poll merges only the member's run and marks a refused shard failed, naming why", async () => {
  const f = clusterFixture();
  writeShard(shardOf(f, 0), [{ uuid: f.members[0]!.uuid, setup: f.members[0]!.setup, sweep: f.sweep, idx: 0 }, { setup: setupOf(70), sweep: f.local.sweep, idx: 5 }], { folder: f.folder, idx: 0 });
  writeShard(shardOf(f, 1), [{ uuid: f.local.interrupted.uuid, setup: f.local.interrupted.setup, sweep: f.sweep, idx: 1 }], { folder: f.folder, idx: 1 });
  const before = snapshot(f.labFile);
  const a = openArchive(f.labFile);
  try {
    const ex = await createExecutor('slurm', a, f.sweep, {}, { kind: 'slurm', folder: f.folder, jobId: null });
    const states = await ex.poll();
    await ex.close();
    assert.equal(states[0]!.status, 'completed');
    assert.equal(states[1]!.status, 'failed');
    assert.match(states[1]!.detail ?? '', /not the member's run/);
  } finally {
    a.close();
  }
  const after = snapshot(f.labFile);
  assert.equal(after.counts.runs, before.counts.runs);
  assert.deepEqual(after.sweeps, before.sweeps);
  for (const u of [f.local.completed.uuid, f.local.interrupted.uuid, f.local.queued.uuid]) assert.equal(after.runs[u], before.runs[u]);
  assert.match(after.runs[f.members[1]!.uuid]!, /^failed\|null\|/, 'the member whose shard was refused is failed, not replaced');
});

test("a sweep file's executor block never reaches the archive: the lab records its own", () => {
  const f = clusterFixture();
  const a = openArchive(f.labFile);
  try {
    const s = setupOf(5);
    const { sweepId } = createSweepRuns(a, { name: 'file', executor: { kind: 'slurm', folder: '/tmp/foreign', jobId: '42' } }, [{ idx: 0, name: 'a', combo: {}, setup: s }]);
    assert.equal((a.getSweep(sweepId)!.definition as { executor?: unknown }).executor, undefined);
  } finally {
    a.close();
  }
});

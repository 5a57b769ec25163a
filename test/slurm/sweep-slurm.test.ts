// `dplab sweep --executor slurm` against a real one-node Slurm cluster: a grid through one job array
// equals the same grid run locally; a scancelled task and a task whose trainer is killed are
// requeued and resume from their shard's checkpoint to the metrics of an uninterrupted run; cancel
// stops every task; and the errors users hit (no sbatch, bad partition, a failing member, a folder
// the nodes cannot see) say what is wrong. Runs are tiny (a few steps of a small convnet on
// synthetic data) and seeded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openArchive, type Archive } from '../../src-main/archive/archive.ts';
import { mergeShard } from '../../src-main/archive/merge.ts';
import { QUICK_SETUP } from '../../src-main/spec/presets.ts';
import { readManifest, readTaskStatus, folderPaths } from '../../src-main/runs/sweep-folder.ts';
import { clusterForTests } from './cluster.ts';

const { problem, skip } = clusterForTests();
const dir = mkdtempSync(join(tmpdir(), 'dplab-slurm-'));
const bin = fileURLToPath(new URL('../../bin/dplab.mjs', import.meta.url));
const dataDir = join(dir, 'data');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ENV = { ...process.env, DPLAB_SLURM_POLL_MS: '1000', DPLAB_DATA_DIR: dataDir };

type Out = { code: number | null; out: string; err: string };
function dplab(args: string[], env: NodeJS.ProcessEnv = ENV): Promise<Out> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { env, cwd: dir });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => resolve({ code, out, err }));
  });
}

const tiny = (steps: number) => ({ ...QUICK_SETUP, optim: { ...QUICK_SETUP.optim, epochs: 100, maxSteps: steps } });

function sweepFile(name: string, def: Record<string, unknown>): string {
  const f = join(dir, `${name}.json`);
  writeFileSync(f, JSON.stringify({ name, ...def }));
  return f;
}

function squeueTasks(jobId: string): string[] {
  const r = spawnSync('squeue', ['-h', '-r', '-j', jobId, '-o', '%K|%T'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n').filter(Boolean) : [];
}

async function until(what: string, ok: () => boolean, ms = 240_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

function close(a: number | null | undefined, b: number | null | undefined, what: string) {
  assert.ok(typeof a === 'number' && typeof b === 'number', `${what}: ${a} vs ${b}`);
  assert.ok(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
}

/** Every member of the sweep in `a` has the same loss curve and final metrics as its namesake in `b`. */
function sameRuns(a: Archive, b: Archive, sweepA: string, sweepB: string): void {
  const ra = a.listRuns({ sweep: sweepA, order: 'oldest' });
  const rb = b.listRuns({ sweep: sweepB, order: 'oldest' });
  assert.deepEqual(ra.map((r) => r.name).sort(), rb.map((r) => r.name).sort());
  for (const x of ra) {
    const y = rb.find((r) => r.name === x.name)!;
    assert.equal(x.status, 'completed', `${x.name}: ${x.error}`);
    assert.equal(y.status, 'completed', `${y.name}: ${y.error}`);
    const la = a.getMetrics(x.uuid, ['loss'])[0]!;
    const lb = b.getMetrics(y.uuid, ['loss'])[0]!;
    assert.deepEqual(la.steps, lb.steps, `${x.name}: steps`);
    la.values.forEach((v, i) => close(v, lb.values[i], `${x.name}: loss at step ${la.steps[i]}`));
    const sa = x.summary as unknown as Record<string, number>;
    const sb = y.summary as unknown as Record<string, number>;
    for (const k of ['finalLoss', 'collapseStd', 'effectiveRank', 'probeAcc', 'knnAcc']) close(sa[k], sb[k], `${x.name}: ${k}`);
  }
}

const sweepId = (err: string) => /sweep ([0-9a-f-]{36})/.exec(err)?.[1] ?? '';

test('the Slurm test cluster is up (CI must have it)', { skip }, () => {
  assert.equal(problem, null, `${problem}: CI=true runs must start the cluster (scripts/slurm-test-cluster.sh start)`);
});

test('a 2 × 2 grid through one job array: each run once, the same metrics as --executor local, merges idempotent, importable from its folder', { skip, timeout: 480_000 }, async () => {
  assert.equal(problem, null);
  const f = sweepFile('grid', { base: tiny(6), axes: { 'predictor.kind': ['linear', 'directpred'] }, seeds: 2 });
  const folder = join(dir, 'grid-folder');
  const lab = join(dir, 'grid-slurm.sqlite');
  const s = await dplab(['sweep', f, '--executor', 'slurm', '--archive', lab, '--backend', 'wasm', '--checkpoint-every', '2', '--cpus-per-task', '1', '--folder', folder]);
  assert.equal(s.code, 0, s.err);
  assert.match(s.err, /4 run\(s\) as Slurm job array \d+/);
  assert.match(s.out, /^predictor\.kind\s+n\s+finalLoss/m);
  const manifest = readManifest(folder);
  assert.match(readFileSync(folderPaths(folder).jobScript, 'utf8'), new RegExp(`#SBATCH --array=0-3\\n`));
  assert.deepEqual(squeueTasks(manifest.jobId!), []);

  const local = join(dir, 'grid-local.sqlite');
  const l = await dplab(['sweep', f, '--archive', local, '--backend', 'wasm', '--checkpoint-every', '2', '--concurrency', '2']);
  assert.equal(l.code, 0, l.err);

  const a = openArchive(lab);
  const b = openArchive(local, { readonly: true });
  const sa = a.listSweeps();
  assert.equal(sa.length, 1);
  assert.equal(a.listRuns().length, 4, 'each member once (the placeholders were replaced, not added to)');
  sameRuns(a, b, sa[0]!.uuid, b.listSweeps()[0]!.uuid);
  assert.deepEqual((a.getSweep(sa[0]!.uuid)!.definition as { executor: unknown }).executor, { kind: 'slurm', folder, jobId: manifest.jobId });

  // Merging the same shards again adds nothing.
  const before = a.counts();
  for (let i = 0; i < 4; i++) assert.equal(mergeShard(a, folderPaths(folder).shard(i)).result, 'present');
  assert.deepEqual(a.counts(), before);
  a.close();
  b.close();

  // status reads Slurm's words per member.
  const st = await dplab(['sweep', 'status', sa[0]!.uuid, '--archive', lab, '--json']);
  assert.equal(st.code, 0, st.err);
  const members = JSON.parse(st.out) as { status: string; detail: string; step: number }[];
  assert.deepEqual(members.map((m) => m.status), ['completed', 'completed', 'completed', 'completed']);
  members.forEach((m, i) => assert.match(m.detail, new RegExp(`^${manifest.jobId}_${i} COMPLETED`)));

  // The desktop's view: the folder alone (after rsync) gives the same runs, once.
  const desk = join(dir, 'desktop.sqlite');
  const imp = await dplab(['archive', 'import', folder, '--archive', desk]);
  assert.equal(imp.code, 0, imp.err);
  assert.match(imp.out, /imported 4 run\(s\) from the sweep folder/);
  const again = await dplab(['archive', 'import', folder, '--archive', desk]);
  assert.match(again.out, /imported 0 run\(s\) .*4 already present/);
  const d = openArchive(desk, { readonly: true });
  const c = openArchive(lab, { readonly: true });
  assert.equal(d.listRuns().length, 4);
  assert.equal(d.getSweep(sa[0]!.uuid)!.members.length, 4, 'the sweep and its members came along');
  sameRuns(d, c, sa[0]!.uuid, sa[0]!.uuid);
  d.close();
  c.close();
});

test('scancel of a running task and kill -9 of a task\'s trainer: both requeued, resumed from their checkpoints, same metrics as uninterrupted runs', { skip, timeout: 480_000 }, async () => {
  assert.equal(problem, null);
  const STEPS = 30;
  const f = sweepFile('requeue', { base: tiny(STEPS), seeds: 2 });
  const folder = join(dir, 'requeue-folder');
  const lab = join(dir, 'requeue.sqlite');
  const sub = await dplab(['sweep', f, '--executor', 'slurm', '--archive', lab, '--backend', 'wasm', '--checkpoint-every', '3', '--cpus-per-task', '1', '--folder', folder, '--detach']);
  assert.equal(sub.code, 0, sub.err);
  const id = sub.out.trim();
  const m = readManifest(folder);
  const p = folderPaths(folder);
  // Both tasks past their third checkpoint, not yet done.
  const ckAt = (i: number) => {
    if ((readTaskStatus(folder, i)?.step ?? 0) < 10) return 0; // by then the task has made its shard
    const s = openArchive(p.shard(i), { readonly: true });
    try {
      return s.latestCheckpoint(m.members[i]!.runUuid)?.step ?? 0;
    } finally {
      s.close();
    }
  };
  await until('both tasks past a checkpoint', () => ckAt(0) >= 9 && ckAt(1) >= 9);
  // Task 0: scancel from outside the lab (an admin, a lost node).
  assert.equal(spawnSync('scancel', [`${m.jobId}_0`]).status, 0);
  // Task 1: its trainer dies (OOM killer, a crash).
  const s1 = openArchive(p.shard(1), { readonly: true });
  const trainer = s1.getRun(m.members[1]!.runUuid)!.pid!;
  s1.close();
  assert.ok(trainer > 0);
  process.kill(trainer, 'SIGKILL');

  const w = await dplab(['sweep', 'watch', id, '--archive', lab]);
  assert.equal(w.code, 0, w.err);
  for (const i of [0, 1]) {
    const ts = readTaskStatus(folder, i)!;
    assert.equal(ts.state, 'completed');
    assert.ok(ts.restarts >= 1, `task ${i} was requeued (restart count ${ts.restarts})`);
    assert.ok((ts.resumedFrom ?? 0) >= 9, `task ${i} resumed from its checkpoint, not step 0 (from ${ts.resumedFrom})`);
    assert.match(readFileSync(p.log(i), 'utf8'), /resumes from its checkpoint at step \d+/);
  }
  assert.match(w.err, /REQUEUED/);

  // The same two runs left alone (locally) give the same metrics; the archive holds each run once.
  const ref = join(dir, 'requeue-ref.sqlite');
  const r = await dplab(['sweep', f, '--archive', ref, '--backend', 'wasm', '--checkpoint-every', '3', '--concurrency', '2']);
  assert.equal(r.code, 0, r.err);
  const a = openArchive(lab, { readonly: true });
  const b = openArchive(ref, { readonly: true });
  assert.equal(a.listRuns().length, 2);
  sameRuns(a, b, id, b.listSweeps()[0]!.uuid);
  for (const run of a.listRuns()) assert.equal(a.getMetrics(run.uuid, ['loss'])[0]!.steps.length, STEPS, 'every step once');
  a.close();
  b.close();
});

test('dplab sweep cancel stops every task and marks the members cancelled', { skip, timeout: 300_000 }, async () => {
  assert.equal(problem, null);
  const f = sweepFile('cancel', { base: tiny(5000), seeds: 3 });
  const folder = join(dir, 'cancel-folder');
  const lab = join(dir, 'cancel.sqlite');
  const sub = await dplab(['sweep', f, '--executor', 'slurm', '--archive', lab, '--backend', 'wasm', '--cpus-per-task', '1', '--folder', folder, '--detach']);
  assert.equal(sub.code, 0, sub.err);
  const id = sub.out.trim();
  const m = readManifest(folder);
  // Two running (the node has 2 CPUs), one pending.
  await until('two tasks training', () => [0, 1, 2].filter((i) => (readTaskStatus(folder, i)?.step ?? 0) > 0).length >= 2);
  const c = await dplab(['sweep', 'cancel', id.slice(0, 8), '--archive', lab]);
  assert.equal(c.code, 0, c.err);
  assert.match(c.err, new RegExp(`scancel ${m.jobId}`));
  await until('the array to leave the queue', () => squeueTasks(m.jobId!).length === 0, 60_000);
  const st = await dplab(['sweep', 'status', id, '--archive', lab, '--json']);
  const members = JSON.parse(st.out) as { status: string; detail: string }[];
  assert.deepEqual(members.map((x) => x.status), ['cancelled', 'cancelled', 'cancelled'], st.out);
  const a = openArchive(lab, { readonly: true });
  assert.deepEqual(a.listRuns().map((r) => r.status), ['cancelled', 'cancelled', 'cancelled']);
  a.close();
});

test('errors: no sbatch on PATH, a partition Slurm does not have, a failing member, a folder the nodes cannot see', { skip, timeout: 300_000 }, async () => {
  assert.equal(problem, null);
  const f = sweepFile('errs', { base: tiny(4), axes: { 'data.dataset': ['no-such-dataset', 'synthetic'] } });
  const lab = join(dir, 'errs.sqlite');

  // No Slurm client on PATH: says so, and leaves nothing behind in the archive.
  const noPath = await dplab(['sweep', f, '--executor', 'slurm', '--archive', lab, '--folder', join(dir, 'errs-nopath')], { ...ENV, PATH: mkdtempSync(join(dir, 'empty-path-')) });
  assert.equal(noPath.code, 1);
  assert.match(noPath.err, /'sbatch' is not on PATH: run this on the cluster's login node/);
  // A partition Slurm does not know: sbatch's own words.
  const bad = await dplab(['sweep', f, '--executor', 'slurm', '--archive', lab, '--partition', 'nosuchpart', '--folder', join(dir, 'errs-badpart')]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /sbatch refused the job array: .*invalid partition/i);
  const a0 = openArchive(lab, { readonly: true });
  assert.equal(a0.listRuns().length, 0, 'a refused submission leaves no runs');
  assert.equal(a0.listSweeps().length, 0);
  a0.close();
  // A bad option never reaches sbatch.
  const opt = await dplab(['sweep', f, '--executor', 'slurm', '--archive', lab, '--mem', 'lots']);
  assert.equal(opt.code, 2);
  assert.match(opt.err, /--mem: expected a size like 8G/);

  // Member 0 fails (its dataset is missing); member 1's setup is not where the node looks.
  const folder = join(dir, 'errs-folder');
  const sub = await dplab(['sweep', f, '--executor', 'slurm', '--archive', lab, '--backend', 'wasm', '--folder', folder, '--sbatch-arg=--hold', '--detach']);
  assert.equal(sub.code, 0, sub.err);
  const id = sub.out.trim();
  const m = readManifest(folder);
  rmSync(folderPaths(folder).setup(1));
  assert.equal(spawnSync('scontrol', ['release', m.jobId!]).status, 0);
  const w = await dplab(['sweep', 'watch', id, '--archive', lab]);
  assert.equal(w.code, 1, w.err);
  const st = await dplab(['sweep', 'status', id, '--archive', lab, '--json']);
  const members = JSON.parse(st.out) as { status: string; detail: string }[];
  assert.deepEqual(members.map((x) => x.status), ['failed', 'failed']);
  assert.match(members[0]!.detail, /no-such-dataset/);
  assert.match(members[1]!.detail, /cannot find the setup .*setups\/1\.json on .*: the sweep folder must be on a filesystem the compute nodes see/);
  assert.match(w.err, /failed\s+errs data\.dataset=no-such-dataset/);
  assert.equal(sweepId(sub.err), id);
});

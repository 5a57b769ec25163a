/**
 * Overhead of a Slurm sweep per member, beside the local executor in the same run (rounds alternate):
 * - submit → first training step: from `dplab sweep --executor slurm` starting to each task's first
 *   step (split into Slurm's scheduling, submit → task process start, and the task's own start-up:
 *   node + the CLI + tfjs + data, task start → first step); the local executor's enqueue → first step
 *   for the same setups;
 * - merge time per shard: `mergeShard` of each finished shard into a fresh archive, and of a
 *   synthetic shard the size of a long run (10k steps × 8 metrics, 100 spectra, 3 checkpoints).
 * Needs the one-node cluster (scripts/slurm-test-cluster.sh start). `npm run bench -- slurm`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openArchive } from '../src-main/archive/archive.ts';
import { mergeShard } from '../src-main/archive/merge.ts';
import { RunManager } from '../src-main/runs/manager.ts';
import { memberShard, readManifest, readTaskStatus } from '../src-main/runs/sweep-folder.ts';
import { setupHash } from '../src-main/common/hash.ts';
import { QUICK_SETUP } from '../src-main/common/presets.ts';
import { parseSetup } from '../src-main/common/setup.ts';
import type { TrainerEvent } from '../src-main/common/events.ts';

const N = 2;
const dir = mkdtempSync(join(tmpdir(), 'dplab-bench-slurm-'));
const bin = fileURLToPath(new URL('../bin/dplab.mjs', import.meta.url));
const base = { ...QUICK_SETUP, optim: { ...QUICK_SETUP.optim, epochs: 100, maxSteps: 4 } };
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => `median ${med(xs).toFixed(2)} s (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)})`;

if (spawnSync('sinfo', ['-h']).status !== 0) {
  console.error('bench slurm: no Slurm cluster answers (sudo scripts/slurm-test-cluster.sh start)');
  process.exit(1);
}

// Rounds of the same two setups, alternating executors, so load from other work hits both alike.
// Slurm: a 2-member sweep on the 2-CPU node (both start at once: "submit → first step" on a free
// cluster). Local: the same 2 setups through the run manager, 2 at a time.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const sched: number[] = [];
const startup: number[] = [];
const toFirst: number[] = [];
const localFirst: number[] = [];
const walls: number[] = [];
const folders: string[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const f = join(dir, `sweep-${round}.json`);
  writeFileSync(f, JSON.stringify({ name: `bench${round}`, base, seeds: N }));
  const folder = join(dir, `folder-${round}`);
  folders.push(folder);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [bin, 'sweep', f, '--executor', 'slurm', '--archive', join(dir, 'lab.sqlite'), '--backend', 'wasm', '--cpus-per-task', '1', '--folder', folder], {
    encoding: 'utf8',
    env: { ...process.env, DPLAB_SLURM_POLL_MS: '500' },
  });
  walls.push((Date.now() - t0) / 1000);
  if (r.status !== 0) {
    console.error(r.stderr);
    process.exit(1);
  }
  const m = readManifest(folder);
  for (const x of m.members) {
    const s = readTaskStatus(folder, x.idx)!;
    sched.push((s.startedAt - m.createdAt) / 1000);
    startup.push(s.firstStepSec!);
    toFirst.push((s.startedAt - m.createdAt) / 1000 + s.firstStepSec!);
  }

  const local = openArchive(join(dir, `local-${round}.sqlite`));
  const mgr = new RunManager(local, { concurrency: 2, backend: 'wasm' });
  const firstAt = new Map<string, number>();
  mgr.on('event', (u: string, e: TrainerEvent) => {
    if (e.type === 'progress' && !firstAt.has(u)) firstAt.set(u, Date.now());
  });
  const tl = Date.now();
  const ids = Array.from({ length: N }, (_, s) => mgr.submit(parseSetup({ ...base, seed: s })));
  await mgr.idle();
  await mgr.close();
  local.close();
  for (const u of ids) localFirst.push((firstAt.get(u)! - tl) / 1000);
}

// Merge time per shard: the real (small) shards, then a synthetic long one.
const target = openArchive(join(dir, 'merged.sqlite'));
const mergeMs: number[] = [];
for (const folder of folders) {
  for (const x of readManifest(folder).members) {
    const a = performance.now();
    const { file, member } = memberShard(folder, x.idx);
    mergeShard(target, file, member);
    mergeMs.push(performance.now() - a);
  }
}
const big = openArchive(join(dir, 'big-shard.sqlite'));
big.useRollbackJournal();
const bigSetup = parseSetup({});
const run = big.createRun({ name: 'big', setup: bigSetup as unknown as Record<string, unknown>, setupHash: setupHash(bigSetup), seed: 0, status: 'running' });
const bigSweep = big.createSweep({ name: 'big', definition: {}, members: [{ runUuid: run.uuid, idx: 0, combo: {} }] });
const bigMember = { sweepUuid: bigSweep, idx: 0, runUuid: run.uuid, setupHash: setupHash(bigSetup), combo: {}, sweep: { name: 'big', definition: { executor: { kind: 'slurm' } }, createdAt: Date.now() } };
const STEPS = 10_000;
for (let s0 = 1; s0 <= STEPS; s0 += 1000) {
  const ev: TrainerEvent[] = [];
  for (let s = s0; s < s0 + 1000; s++) {
    ev.push({ type: 'scalars', step: s, epoch: s / 100, values: { loss: 1 / s, a: s, b: s, c: s, d: s, e: s, f: s, g: s } });
    if (s % 100 === 0) ev.push({ type: 'spectra', step: s, epoch: s / 100, fEig: new Array(128).fill(1), wpEig: new Array(128).fill(1), alignment: new Array(128).fill(1), asymmetry: 0 });
  }
  big.appendEvents(run.uuid, ev);
}
for (const s of [8000, 9000, 10000]) big.putCheckpoint(run.uuid, s, new Uint8Array(2 * 2 ** 20), 3);
big.setStatus(run.uuid, 'completed');
big.close();
const bigTarget = openArchive(join(dir, 'merged-big.sqlite'));
const a = performance.now();
mergeShard(bigTarget, join(dir, 'big-shard.sqlite'), bigMember);
const bigMs = performance.now() - a;
const b = performance.now();
const again = mergeShard(bigTarget, join(dir, 'big-shard.sqlite'), bigMember).result;
const againMs = performance.now() - b;
target.close();
bigTarget.close();

console.log(`${ROUNDS} rounds, alternating: a Slurm sweep of ${N} tiny members (4 steps each), then the same ${N} setups locally`);
console.log(`  slurm, submit → all merged: ${fmt(walls)}`);
console.log(`  slurm, submit → first step: ${fmt(toFirst)}`);
console.log(`    of which Slurm scheduling (submit → task process start): ${fmt(sched)}`);
console.log(`    task start-up (process start → first step: node, the CLI, tfjs, data): ${fmt(startup)}`);
console.log(`  local, enqueue → first step: ${fmt(localFirst)}`);
console.log(`  ratio slurm / local (submit → first step, medians): ${(med(toFirst) / med(localFirst)).toFixed(2)}`);
console.log(`merge per shard (4-step run): median ${med(mergeMs).toFixed(1)} ms (max ${Math.max(...mergeMs).toFixed(1)})`);
console.log(`merge of a 10k-step shard (80k metric rows, 100 spectra, 3 × 2 MiB checkpoints): ${bigMs.toFixed(0)} ms; again (${again}): ${againMs.toFixed(1)} ms`);

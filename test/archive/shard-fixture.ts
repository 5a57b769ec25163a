// Shared by the shard-trust tests: a lab archive holding a cluster sweep (placeholders the lab
// recorded) beside a local sweep with trained runs, the cluster sweep's folder as the lab writes it,
// and a builder of shards, legit or crafted.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openArchive, type Archive } from '../../src-main/archive/archive.ts';
import { createSweepRuns } from '../../src-main/runs/sweep.ts';
import { folderPaths, writeSweepFolder, type SweepManifest } from '../../src-main/runs/sweep-folder.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';
import { parseSetup, type Setup } from '../../src-main/common/setup.ts';

/** A small valid setup per seed. */
export const setupOf = (seed: number, lr = 0.03): Setup => parseSetup({ ...QUICK_SETUP, seed, optim: { ...QUICK_SETUP.optim, lr, epochs: 1, maxSteps: 4 } });

/** What the fixture made. */
export interface Fixture {
  dir: string;
  labFile: string;
  folder: string;
  /** The cluster sweep and its two members (queued placeholders). */
  sweep: string;
  members: { uuid: string; setup: Setup }[];
  /** A local sweep: a completed run with metrics, an interrupted one with a checkpoint and no metrics yet, a queued one. */
  local: { sweep: string; completed: { uuid: string; setup: Setup }; interrupted: { uuid: string; setup: Setup }; queued: { uuid: string; setup: Setup } };
}

const started = (backend: string) => ({
  type: 'started' as const,
  setupHash: 'x',
  totalSteps: 4,
  stepsPerEpoch: 4,
  startStep: 0,
  env: { backend, versions: { tfjs: '4.22.0' }, appVersion: '0.1.0', host: { platform: 'linux', arch: 'x64', cpus: 2, node: 'v20' } },
  dataset: { name: 'synthetic', hash: 'dsh', source: 'generated' as const, pretrainCount: 256 },
});

/** Records a trained run: backend, `steps` losses of `loss`, a checkpoint, then `status`. */
export function train(a: Archive, uuid: string, opts: { steps?: number; loss?: number; status?: 'completed' | 'interrupted' | 'running'; backend?: string } = {}): void {
  const steps = opts.steps ?? 3;
  a.appendEvents(uuid, [started(opts.backend ?? 'wasm'), ...Array.from({ length: steps }, (_, i) => ({ type: 'scalars' as const, step: i + 1, epoch: 0, values: { loss: opts.loss ?? 1 } }))]);
  a.putCheckpoint(uuid, Math.max(steps, 1), new Uint8Array([1, 2, 3]));
  a.setStatus(uuid, opts.status ?? 'completed', { endedAt: Date.now() });
}

/** Builds the lab archive and the cluster sweep's folder (no shards yet). */
export function clusterFixture(): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-shard-'));
  const labFile = join(dir, 'lab.sqlite');
  const folder = join(dir, 'sweep-folder');
  const a = openArchive(labFile);
  const ls = [setupOf(100), setupOf(101), setupOf(102)];
  const local = createSweepRuns(a, { name: 'local' }, ls.map((setup, idx) => ({ idx, name: `l${idx}`, combo: { seed: setup.seed }, setup })));
  train(a, local.runIds[0]!, { loss: 0.5 });
  a.appendEvents(local.runIds[1]!, [started('wasm')]);
  a.putCheckpoint(local.runIds[1]!, 2, new Uint8Array([9, 9]));
  a.setStatus(local.runIds[1]!, 'interrupted', { endedAt: Date.now(), error: 'the trainer stopped' });
  const cs = [setupOf(1), setupOf(2)];
  const cluster = createSweepRuns(a, { name: 'cluster' }, cs.map((setup, idx) => ({ idx, name: `c${idx}`, combo: { seed: setup.seed }, setup })));
  a.setSweepDefinition(cluster.sweepId, { name: 'cluster', executor: { kind: 'slurm', folder, jobId: null } });
  a.close();
  const manifest: SweepManifest = {
    version: 1,
    sweepUuid: cluster.sweepId,
    name: 'cluster',
    definition: { name: 'cluster', executor: { kind: 'slurm', folder } },
    createdAt: Date.now(),
    jobId: null,
    backend: 'wasm',
    checkpointEvery: 100,
    maxRequeues: 0,
    members: cs.map((setup, idx) => ({ idx, runUuid: cluster.runIds[idx]!, name: `c${idx}`, combo: { seed: setup.seed }, setupHash: setupHash(setup) })),
  };
  writeSweepFolder(folder, manifest, cs);
  return {
    dir,
    labFile,
    folder,
    sweep: cluster.sweepId,
    members: cs.map((setup, i) => ({ uuid: cluster.runIds[i]!, setup })),
    local: {
      sweep: local.sweepId,
      completed: { uuid: local.runIds[0]!, setup: ls[0]! },
      interrupted: { uuid: local.runIds[1]!, setup: ls[1]! },
      queued: { uuid: local.runIds[2]!, setup: ls[2]! },
    },
  };
}

/** One run a shard holds, in the sweep `sweep` at index `idx`. */
export interface ShardRun {
  uuid?: string;
  setup: Setup;
  sweep: string;
  idx: number;
  /** Stored setup hash (default: the setup's own). */
  hash?: string;
  loss?: number;
}

/** Writes an archive holding `runs` (trained, completed) at `file`, and task `idx`'s status file as finished. */
export function writeShard(file: string, runs: ShardRun[], status?: { folder: string; idx: number }): string[] {
  const s = openArchive(file);
  const uuids = new Map<ShardRun, string>();
  for (const sweep of new Set(runs.map((r) => r.sweep))) {
    const mine = runs.filter((r) => r.sweep === sweep);
    const ids = s.createSweepWithRuns({
      uuid: sweep,
      name: 'crafted',
      definition: { executor: { kind: 'slurm', folder: '/elsewhere' } },
      members: mine.map((r) => ({ run: { ...(r.uuid ? { uuid: r.uuid } : {}), name: 'shard run', setup: r.setup as unknown as Record<string, unknown>, setupHash: r.hash ?? setupHash(r.setup), seed: r.setup.seed }, idx: r.idx, combo: {} })),
    });
    mine.forEach((r, i) => uuids.set(r, ids.runIds[i]!));
  }
  for (const r of runs) train(s, uuids.get(r)!, { loss: r.loss ?? 0.25 });
  s.close();
  if (status) {
    const st = { state: 'completed', step: 3, totalSteps: 4, restarts: 0, host: 'node', jobId: null, updatedAt: Date.now(), startedAt: Date.now(), resumedFrom: null, firstStepSec: 1, error: null };
    writeFileSync(folderPaths(status.folder).status(status.idx), JSON.stringify(st));
  }
  return runs.map((r) => uuids.get(r)!);
}

/** Everything a merge could change, for "unchanged except" comparisons. */
export function snapshot(file: string): { runs: Record<string, string>; sweeps: Record<string, string[]>; counts: Record<string, number> } {
  const a = openArchive(file, { readonly: true });
  try {
    const runs: Record<string, string> = {};
    for (const r of a.listRuns({ order: 'oldest' })) runs[r.uuid] = `${r.status}|${r.backend}|${r.setupHash}|${r.lastStep}|${a.getMetrics(r.uuid, ['loss'])[0]?.values.join(',') ?? ''}|${a.listCheckpoints(r.uuid).map((c) => c.step).join(',')}`;
    const sweeps: Record<string, string[]> = {};
    for (const s of a.listSweeps()) sweeps[s.uuid] = a.getSweep(s.uuid)!.members.map((m) => `${m.idx}:${m.runUuid}`);
    return { runs, sweeps, counts: a.counts() };
  } finally {
    a.close();
  }
}

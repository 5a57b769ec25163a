/**
 * Archive records as the contract shows them: a run row with its setup in the current schema
 * version and its GPU adapter's label.
 */
import type { RunRow } from '../contract/index.ts';
import type { RunRecord, SweepMembership } from '../archive/archive.ts';
import { migrateSetup, type Setup } from '../common/setup.ts';
import { adapterLabel, type GpuAdapterInfo } from '../common/backends.ts';

/** The label of the GPU adapter recorded under host.gpu (webgpu runs), or null. */
function gpuOf(host: Record<string, unknown> | null): string | null {
  const g = host?.gpu as Partial<GpuAdapterInfo> | undefined;
  if (!g || typeof g !== 'object' || typeof g.vendor !== 'string') return null;
  return adapterLabel({ vendor: g.vendor, architecture: String(g.architecture ?? ''), device: String(g.device ?? ''), description: String(g.description ?? ''), fallback: g.fallback === true });
}

/**
 * A stored setup in the current schema version (a version-1 run gets `lossReduction: "mean"`, as it
 * was trained), so views group, label and duplicate it by what it meant; as stored if it is newer.
 */
export function currentSetup(raw: Record<string, unknown>): Record<string, unknown> {
  try {
    return migrateSetup(raw) as Record<string, unknown>;
  } catch {
    return raw;
  }
}

/** A run record as the contract lists it, with the sweep that made it (null: none). */
export function toRow(r: RunRecord, sweep: SweepMembership | null = null): RunRow {
  return {
    id: r.uuid,
    name: r.name,
    status: r.status,
    setup: currentSetup(r.setup) as unknown as Setup,
    setupHash: r.setupHash,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    backend: r.backend,
    adapter: gpuOf(r.host),
    totalSteps: r.totalSteps,
    lastStep: r.lastStep,
    summary: r.summary,
    error: r.error,
    tags: r.tags,
    dataset: r.dataset ? { name: r.dataset.name, hash: r.dataset.hash } : null,
    sweep: sweep ? { id: sweep.sweepId, name: sweep.name, createdAt: sweep.createdAt, index: sweep.index, alsoIn: sweep.alsoIn.map((s) => ({ id: s.sweepId, name: s.name, createdAt: s.createdAt })) } : null,
  };
}

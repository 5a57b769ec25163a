/**
 * A sweep's members into the archive, atomically (runs and sweep row in one transaction), hashed as
 * the trainer hashes them. The CLI and the service both create sweeps here.
 */
import type { Archive, RunOwner } from '../archive/archive.ts';
import { setupHash } from '../common/hash.ts';
import type { SweepDefinition, SweepMember } from '../common/sweep.ts';

/**
 * Creates the queued member runs and the sweep that groups them; returns their ids. `owner`: the
 * process whose run manager will queue them (so no other process takes them for stranded meanwhile).
 */
export function createSweepRuns(archive: Archive, def: SweepDefinition, members: SweepMember[], owner?: RunOwner): { sweepId: string; runIds: string[] } {
  // The executor record is the lab's to write once the executor accepted the sweep (setSweepDefinition);
  // one brought in a sweep file or a client's definition would name a folder and job to follow.
  const { executor: _executor, ...own } = def;
  return archive.createSweepWithRuns({
    name: def.name ?? null,
    definition: own,
    members: members.map((m) => ({
      run: { name: m.name, setup: m.setup as unknown as Record<string, unknown>, setupHash: setupHash(m.setup), seed: m.setup.seed, ...(owner ? { owner } : {}) },
      idx: m.idx,
      combo: m.combo,
    })),
  });
}

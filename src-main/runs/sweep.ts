/**
 * A sweep's members into the archive, atomically (runs and sweep row in one transaction), hashed as
 * the trainer hashes them. The CLI and the service both create sweeps here. A member whose setup
 * hash the archive already holds as a completed run reuses that run instead of training it again,
 * as the Paper view's claims do (`completedByHash`, shared with runs/reproduce.ts).
 */
import type { Archive, RunOwner, RunRecord, SweepMemberInput } from '../archive/archive.ts';
import { setupHash } from '../common/hash.ts';
import { sweepSeeds, type SweepDefinition, type SweepMember } from '../common/sweep.ts';

/** Newest completed run of each wanted setup hash (older duplicates are kept but not used). */
export function completedByHash(archive: Archive, hashes: Iterable<string>): Map<string, RunRecord> {
  const want = new Set(hashes);
  const out = new Map<string, RunRecord>();
  for (const r of archive.listRuns({ status: 'completed' })) if (want.has(r.setupHash) && !out.has(r.setupHash)) out.set(r.setupHash, r);
  return out;
}

/** What creating (or extending) a sweep recorded: every member's run id, those created to train, and how many finished runs it reused. */
export interface SweepRuns {
  sweepId: string;
  /** One per member, in member order (reused runs included). */
  runIds: string[];
  /** The runs created for it: the ones to train. */
  newRunIds: string[];
  reused: number;
}

/** The members as archive rows: a completed run of the same setup hash is linked (when `reuse`), else a queued run is created. */
function memberRows(archive: Archive, members: readonly SweepMember[], owner: RunOwner | undefined, reuse: boolean): SweepMemberInput[] {
  const hashes = members.map((m) => setupHash(m.setup));
  const done = reuse ? completedByHash(archive, hashes) : new Map<string, RunRecord>();
  return members.map((m, i) => {
    const hit = done.get(hashes[i]!);
    if (hit) return { runUuid: hit.uuid, idx: m.idx, combo: m.combo };
    return { run: { name: m.name, setup: m.setup as unknown as Record<string, unknown>, setupHash: hashes[i]!, seed: m.setup.seed, ...(owner ? { owner } : {}) }, idx: m.idx, combo: m.combo };
  });
}

function split(rows: readonly SweepMemberInput[], runIds: readonly string[]): { newRunIds: string[]; reused: number } {
  const newRunIds = runIds.filter((_, i) => !('runUuid' in rows[i]!));
  return { newRunIds, reused: runIds.length - newRunIds.length };
}

/**
 * Creates the member runs and the sweep that groups them; returns their ids. `owner`: the process
 * whose run manager will queue them (so no other process takes them for stranded meanwhile).
 * `reuse` (default true): members whose setup the archive holds as a completed run link that run
 * (marked reused in the sweep record) and only the others are handed to the executor: the local
 * queue, or a Slurm job array with a task per member to train.
 */
export function createSweepRuns(archive: Archive, def: SweepDefinition, members: SweepMember[], owner?: RunOwner, opts: { reuse?: boolean } = {}): SweepRuns {
  // The executor record is the lab's to write once the executor accepted the sweep (setSweepDefinition);
  // one brought in a sweep file or a client's definition would name a folder and job to follow.
  const { executor: _executor, ...own } = def;
  const rows = memberRows(archive, members, owner, opts.reuse !== false);
  const { sweepId, runIds } = archive.createSweepWithRuns({ name: def.name ?? null, definition: own, members: rows });
  return { sweepId, runIds, ...split(rows, runIds) };
}

/**
 * Adds seeds to a started sweep (a round of `--until-decided`): `def` is its definition with the
 * seeds of the round added; the members of the new seeds are recorded (reused where the archive
 * holds them), indexed after the sweep's existing members, and the stored definition replaced.
 */
export function extendSweepRuns(archive: Archive, sweepUuid: string, def: SweepDefinition, members: SweepMember[], owner?: RunOwner): SweepRuns {
  const s = archive.getSweep(sweepUuid);
  if (!s) throw new Error(`no sweep ${sweepUuid} in ${archive.file}`);
  const had = new Set(s.members.map((m) => m.combo.seed));
  const next = s.members.reduce((n, m) => Math.max(n, m.idx + 1), 0);
  const fresh = members.filter((m) => !had.has(m.combo.seed)).map((m, i) => ({ ...m, idx: next + i }));
  const rows = memberRows(archive, fresh, owner, true);
  const runIds = archive.addSweepRuns(sweepUuid, def, rows);
  return { sweepId: sweepUuid, runIds, ...split(rows, runIds) };
}

/** The definition with its seeds filled up to `n` (a count grows to n; a list gets the next unused seeds after its largest). */
export function withSeeds(def: SweepDefinition, n: number): SweepDefinition {
  const seeds = sweepSeeds(def);
  if (seeds.length >= n) return def;
  if (!Array.isArray(def.seeds)) return { ...def, seeds: n };
  const out = [...seeds];
  for (let s = Math.max(...seeds) + 1; out.length < n; s++) out.push(s);
  return { ...def, seeds: out };
}

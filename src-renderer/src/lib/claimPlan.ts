/**
 * What "Run this claim" would do, before it is pressed: the runs the claim needs at the seeds the
 * Paper view reads (every arm × seed, found by setup hash as `reproduce.run` finds them), how many
 * the archive holds completed, which are queued or training now (to cancel), and how many would be
 * trained. Read from the runs list the app already holds, so it follows every status change.
 */
import { armsOf, armSetup, EVAL_SEED_BASE, type Claim } from '../../../src-main/reproduce/claims.ts';
import { setupHash } from '../../../src-main/common/hash.ts';
import { nextLook } from '../../../src-main/math/sequential.ts';

/** A claim's runs at the seeds read. */
export interface ClaimPlan {
  /** Arm × seed runs the claim needs. */
  runs: number;
  /** Of them, completed in the archive. */
  completed: number;
  /** Ids of the queued or running runs of the claim (one per needed setup). */
  inFlight: string[];
  /** Runs "Run this claim" would queue. */
  toTrain: number;
}

/** Setup hashes of (claim, seeds), memoised: hashing is cheap but the view asks on every update. */
const hashCache = new Map<string, string[]>();

/** The setup hashes a claim's runs have at `seeds` (each arm × seed once). */
export function claimHashes(claim: Claim, seeds: readonly number[]): string[] {
  const key = `${claim.id}\u0000${seeds.join(',')}`;
  let hashes = hashCache.get(key);
  if (!hashes) {
    hashes = [...new Set(armsOf([claim]).flatMap((arm) => seeds.map((seed) => setupHash(armSetup(arm, seed)))))];
    if (hashCache.size > 500) hashCache.clear();
    hashCache.set(key, hashes);
  }
  return hashes;
}

/** The claim's plan over `rows` (the archive's runs): completed, in flight, still to train. */
export function claimPlan(claim: Claim, seeds: readonly number[], rows: readonly { id: string; status: string; setupHash: string }[]): ClaimPlan {
  const hashes = claimHashes(claim, seeds);
  const want = new Set(hashes);
  const completed = new Set<string>();
  const inFlight = new Map<string, string>();
  for (const r of rows) {
    if (!want.has(r.setupHash)) continue;
    if (r.status === 'completed') completed.add(r.setupHash);
    else if ((r.status === 'queued' || r.status === 'running') && !inFlight.has(r.setupHash)) inFlight.set(r.setupHash, r.id);
  }
  const flying = hashes.filter((h) => !completed.has(h) && inFlight.has(h));
  return { runs: hashes.length, completed: completed.size, inFlight: flying.map((h) => inFlight.get(h)!), toTrain: hashes.length - completed.size - flying.length };
}

/**
 * The seeds a claim's Run reads: 0 … seeds−1; with evaluation seeds, those of the claim's next look
 * (EVAL_SEED_BASE upward, as `reproduce.run` plans a round), none once the claim is decided.
 */
export function planSeeds(opts: { evaluation: boolean; seeds: number; judgedOn: number; decided: boolean; maxSeeds: number }): number[] {
  if (!opts.evaluation) return Array.from({ length: opts.seeds }, (_, i) => i);
  const look = opts.decided ? null : nextLook(opts.judgedOn, opts.maxSeeds);
  return look === null ? [] : Array.from({ length: look }, (_, i) => EVAL_SEED_BASE + i);
}

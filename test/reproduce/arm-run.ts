/**
 * A finished reproduction run fabricated in an archive: one arm at one seed, with the final and
 * random-init output spread chosen by the test, found by the claims runner by its setup hash as a
 * trained one would be. Shared by the verdict, default-seed and Paper-view tests.
 */
import { openArchive } from '../../src-main/archive/archive.ts';
import { armSetup, type ArmId } from '../../src-main/reproduce/claims.ts';
import { setupHash } from '../../src-main/spec/hash.ts';

/** Records `arm` at `seed` as completed with collapseStd `final` (and `init` at step 0). */
export function recordArmRun(file: string, arm: ArmId, seed: number, final: number, init = 0.8): void {
  const a = openArchive(file);
  try {
    const setup = armSetup(arm, seed);
    const hash = setupHash(setup);
    const r = a.createRun({ setup: setup as unknown as Record<string, unknown>, setupHash: hash, seed, status: 'running', name: setup.name ?? null });
    const summary = { outcome: 'completed' as const, setupHash: hash, backend: 'wasm', steps: 300, epochs: 18.75, finalLoss: 0.5, collapseStd: final, effectiveRank: 4, probeAcc: 0.5, knnAcc: 0.5, imagesPerSec: 100, wallSec: 10, baseline: { probeAcc: 0.25, knnAcc: 0.25, collapseStd: init, effectiveRank: 8 } };
    a.appendEvents(r.uuid, [{ type: 'finished', outcome: 'completed', summary }]);
  } finally {
    a.close();
  }
}

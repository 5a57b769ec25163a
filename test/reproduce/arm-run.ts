/**
 * A finished reproduction run fabricated in an archive: one arm at one seed, with the final and
 * random-init output spread chosen by the test, found by the claims runner by its setup hash as a
 * trained one would be. Shared by the verdict, default-seed and Paper-view tests.
 */
import { openArchive } from '../../src-main/archive/archive.ts';
import { armSetup, type ArmId } from '../../src-main/reproduce/claims.ts';
import { setupHash } from '../../src-main/common/hash.ts';

/** Final and random-init accuracies of a fabricated run (default: 0.5 trained, 0.25 at init). */
export interface ArmAccuracies {
  knn?: [final: number, init: number];
  probe?: [final: number, init: number];
}

/** Records `arm` at `seed` as completed with collapseStd `final` (and `init` at step 0), and the accuracies given. */
export function recordArmRun(file: string, arm: ArmId, seed: number, final: number, init = 0.8, acc: ArmAccuracies = {}): void {
  const [knnAcc, knnInit] = acc.knn ?? [0.5, 0.25];
  const [probeAcc, probeInit] = acc.probe ?? [0.5, 0.25];
  const a = openArchive(file);
  try {
    const setup = armSetup(arm, seed);
    const hash = setupHash(setup);
    const r = a.createRun({ setup: setup as unknown as Record<string, unknown>, setupHash: hash, seed, status: 'running', name: setup.name ?? null });
    const summary = { outcome: 'completed' as const, setupHash: hash, backend: 'wasm', steps: 300, epochs: 18.75, finalLoss: 0.5, collapseStd: final, effectiveRank: 4, probeAcc, knnAcc, imagesPerSec: 100, wallSec: 10, baseline: { probeAcc: probeInit, knnAcc: knnInit, collapseStd: init, effectiveRank: 8 } };
    a.appendEvents(r.uuid, [{ type: 'finished', outcome: 'completed', summary }]);
  } finally {
    a.close();
  }
}

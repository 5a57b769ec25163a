import type { Split } from '../../src-main/data/types.ts';
import type { FeatureSet } from '../../src-main/engine/probe.ts';

/** Raw pixels on [0, 1] as linear-probe features (the baseline a trained encoder must beat). */
export function pixels(s: Split, ppi: number): FeatureSet {
  const x = new Float32Array(s.count * ppi);
  for (let i = 0; i < x.length; i++) x[i] = s.images[i]! / 255;
  return { x, y: s.labels, n: s.count, dim: ppi };
}

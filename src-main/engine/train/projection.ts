/**
 * The representation picture of an evaluation: the encoder's features of a fixed, seeded,
 * class-stratified subset of the evaluation images on their two leading principal components.
 * Cheap beside the probe it rides along with (features already computed; one eigendecomposition of
 * at most 500×500), and it shows what a number cannot: classes apart, mixed, or every image on one
 * line or one point (collapse).
 */
import { PROJECTION_MAX_POINTS, type ProjectionEvent } from '../../common/events.ts';
import { pca2 } from '../../math/pca.ts';
import { permutation } from '../../math/seeds.ts';

/** A projection event's measurements (the trainer adds the step). */
export type Projection = Omit<ProjectionEvent, 'type' | 'step' | 'epoch'>;

/**
 * Up to `max` positions into `labels` (labels < 0 are skipped), drawn so the classes are as equally
 * represented as they allow: each class's positions in a seeded order, then taken round-robin over
 * the classes (ascending), a class that runs out leaving its share to the others. The result
 * interleaves the classes, so no class is drawn wholly on top of another.
 */
export function stratifiedSubset(labels: ArrayLike<number>, max: number, seed: number): Int32Array {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (!(c >= 0)) continue;
    let list = byClass.get(c);
    if (!list) byClass.set(c, (list = []));
    list.push(i);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const queues = classes.map((c, k) => {
    const list = byClass.get(c)!;
    const order = permutation(list.length, seed + k);
    return Array.from(order, (j) => list[j]!);
  });
  const total = queues.reduce((s, q) => s + q.length, 0);
  const out = new Int32Array(Math.max(0, Math.min(max, total)));
  let n = 0;
  for (let round = 0; n < out.length; round++) {
    for (const q of queues) {
      if (round < q.length && n < out.length) out[n++] = q[round]!;
    }
  }
  return out;
}

/**
 * The projection of features `x` (row-major, `n`×`dim`) with classes `y`, taking the points at
 * `positions` (a `stratifiedSubset`): a projection event without its step. Coordinates are kept to
 * float32 precision, as stored.
 */
export function projectionOf(
  features: { x: Float32Array; y: Int32Array; n: number; dim: number },
  positions: Int32Array,
  classNames: readonly string[],
): Projection {
  const { dim } = features;
  const m = Math.min(positions.length, PROJECTION_MAX_POINTS);
  const sub = new Float64Array(m * dim);
  const labels: number[] = new Array(m);
  for (let i = 0; i < m; i++) {
    const p = positions[i]!;
    if (p < 0 || p >= features.n) throw new Error(`projection: position ${p} is outside the ${features.n} evaluated images`);
    for (let k = 0; k < dim; k++) sub[i * dim + k] = features.x[p * dim + k]!;
    labels[i] = features.y[p]!;
  }
  const pc = pca2(sub, m, dim);
  const x: number[] = new Array(m);
  const yy: number[] = new Array(m);
  for (let i = 0; i < m; i++) {
    x[i] = Math.fround(pc.coords[2 * i]!);
    yy[i] = Math.fround(pc.coords[2 * i + 1]!);
  }
  const top = labels.reduce((a, b) => Math.max(a, b), -1);
  // Names for every class a point has (a dataset without names gets "class k").
  const names = Array.from({ length: Math.max(classNames.length, top + 1) }, (_, k) => classNames[k] ?? `class ${k}`);
  return { x, y: yy, labels, classNames: names, explained: pc.explained, totalVariance: pc.totalVariance, relativeVariance: pc.relativeVariance };
}

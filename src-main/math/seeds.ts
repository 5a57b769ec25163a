/**
 * Seeds and random numbers. One root seed per run; each component draws from its own stream,
 * derived by hashing (root, component name), so changing one knob (say, the augmentation strength)
 * leaves every other stream, such as the initial weights, untouched.
 */

/** Components that own a random stream. Adding one never shifts the others. */
export type SeedComponent = 'init' | 'data-order' | 'augment' | 'probe' | 'synthetic-data' | 'invariance-data' | 'subset' | 'eval';

/** 32-bit FNV-1a hash of a string. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Final mix of murmur3: spreads nearby integers over the whole 32-bit range. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Seed of a component's stream, optionally further split by an index (epoch, step). */
export function deriveSeed(root: number, component: SeedComponent | string, index = 0): number {
  return mix32(mix32(root >>> 0) ^ fnv1a(component) ^ mix32((index + 0x9e3779b9) >>> 0)) & 0x7fffffff;
}

/** Small fast deterministic generator (mulberry32); state is one 32-bit integer. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Standard normal (Box–Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  /** Uniform in [a, b). */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.next();
  }
  /** Current state, for checkpoints. */
  get state(): number {
    return this.s;
  }
}

/** A seeded permutation of 0..n-1 (Fisher–Yates). */
export function permutation(n: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/**
 * Seeded synthetic images with class structure. Each class is a prototype made of a few smooth
 * shapes (Gaussian blobs, Gabor gratings, rings, bars); shapes are drawn from a pool shared between
 * classes, so classes overlap and a linear probe on raw pixels is informative but far from perfect.
 * Each sample is its class prototype under a random shift, scale and rotation, small independent
 * jitter of every shape, a clutter shape from the pool, a contrast/brightness change and pixel noise.
 */
import { deriveSeed, Rng } from '../math/seeds.ts';
import type { Setup } from '../common/setup.ts';
import type { StoredDataset } from './stored.ts';
import type { Split } from './types.ts';

/** Generator parameters (the setup's `data.synthetic`). */
export type SyntheticParams = Setup['data']['synthetic'];

const BLOB = 0;
const GABOR = 1;
const RING = 2;
const BAR = 3;

/** One shape in the unit square [-1, 1]²; `color` weights the three channels (gray uses the mean). */
interface Shape {
  /** BLOB, GABOR, RING or BAR. */
  kind: number;
  cx: number;
  cy: number;
  /** Orientation (rad) as cos/sin. */
  c: number;
  s: number;
  /** Widths along and across the orientation (unit-square units). */
  a: number;
  b: number;
  /** Spatial frequency (cycles per unit) and phase of gratings; radius of rings. */
  f: number;
  phase: number;
  amp: number;
  color: [number, number, number];
  /** Precomputed 1/a², 1/b², 1/w² (w: ring or bar half-width) and the squared radius beyond which the shape is 0. */
  ia2: number;
  ib2: number;
  iw2: number;
  reach2: number;
}

function randomShape(rng: Rng): Shape {
  const kind = rng.int(4);
  const th = rng.uniform(0, Math.PI);
  const sh: Shape = {
    kind,
    cx: rng.uniform(-0.55, 0.55),
    cy: rng.uniform(-0.55, 0.55),
    c: Math.cos(th),
    s: Math.sin(th),
    a: rng.uniform(0.15, 0.45),
    b: rng.uniform(0.08, 0.25),
    f: kind === RING ? rng.uniform(0.2, 0.45) : rng.uniform(1.2, 3.2),
    phase: rng.uniform(0, 2 * Math.PI),
    amp: rng.uniform(0.6, 1) * (rng.next() < 0.25 ? -1 : 1),
    color: [rng.uniform(0.2, 1), rng.uniform(0.2, 1), rng.uniform(0.2, 1)],
    ia2: 0,
    ib2: 0,
    iw2: 0,
    reach2: 0,
  };
  sh.ia2 = 1 / (sh.a * sh.a);
  sh.ib2 = 1 / (sh.b * sh.b);
  const w = kind === RING ? sh.b * 0.4 : sh.b * 0.5;
  sh.iw2 = 1 / (w * w);
  // Beyond 3 widths (q ≥ 18) gauss() is 0: blob/gabor extent; ring radius + 3w; bar half-length + 0.15 + 3w.
  const reach = kind === RING ? sh.f + 3 * w : kind === BAR ? sh.a * 1.6 + 0.15 + 3 * w : 3 * Math.max(sh.a, sh.b);
  sh.reach2 = reach * reach;
  return sh;
}

/** exp(-q/2) for q in [0, 25] from a table (linear interpolation, abs. error < 1e-5): the generator's hot path. */
const EXP_STEPS = 4096;
const EXP_TABLE = (() => {
  const t = new Float64Array(EXP_STEPS + 2);
  for (let i = 0; i <= EXP_STEPS + 1; i++) t[i] = Math.exp((-0.5 * 25 * i) / EXP_STEPS);
  return t;
})();
function gauss(q: number): number {
  if (q >= 18) return 0;
  const x = (q * EXP_STEPS) / 25;
  const i = x | 0;
  const f = x - i;
  return EXP_TABLE[i]! + f * (EXP_TABLE[i + 1]! - EXP_TABLE[i]!);
}

/** Value of a shape at (x, y), shifted by (ox, oy). */
function evalShape(sh: Shape, x: number, y: number, ox: number, oy: number): number {
  const dx = x - sh.cx - ox;
  const dy = y - sh.cy - oy;
  if (dx * dx + dy * dy > sh.reach2) return 0;
  const along = dx * sh.c + dy * sh.s;
  const across = -dx * sh.s + dy * sh.c;
  switch (sh.kind) {
    case BLOB:
      return gauss(along * along * sh.ia2 + across * across * sh.ib2);
    case GABOR:
      return gauss((dx * dx + dy * dy) * sh.ia2) * Math.cos(2 * Math.PI * sh.f * along + sh.phase);
    case RING: {
      const d = Math.sqrt(dx * dx + dy * dy) - sh.f;
      return gauss(d * d * sh.iw2);
    }
    default: {
      const e = Math.max(0, Math.abs(along) - sh.a * 1.6);
      return gauss(across * across * sh.iw2 + e * e * 400);
    }
  }
}

/** Class prototypes: each takes 3 shapes from a shared pool and 1 of its own. */
function prototypes(p: SyntheticParams, rng: Rng): { classes: Shape[][]; pool: Shape[] } {
  const pool: Shape[] = [];
  for (let i = 0; i < Math.max(4, Math.ceil(1.5 * p.classes)); i++) pool.push(randomShape(rng));
  const classes: Shape[][] = [];
  for (let k = 0; k < p.classes; k++) {
    const shapes: Shape[] = [];
    const used = new Set<number>();
    while (shapes.length < 3) {
      const j = rng.int(pool.length);
      if (used.has(j)) continue;
      used.add(j);
      shapes.push(pool[j]!);
    }
    shapes.push(randomShape(rng));
    classes.push(shapes);
  }
  return { classes, pool };
}

/** A sample's pose: shift (tx, ty), scale, rotation, and the inverse map's rc = cos/scale, rs = sin/scale. */
interface Pose {
  tx: number;
  ty: number;
  scale: number;
  rot: number;
  rc: number;
  rs: number;
}

/**
 * Adds one shape (offset by (ox, oy), times gain) to the RGB accumulator, visiting only the pixels
 * within its reach; with a pose the shape moves with the sample, without (clutter) it stays put.
 */
function drawShape(acc: Float64Array, xs: Float64Array, size: number, pose: Pose | null, sh: Shape, ox: number, oy: number, gain: number): void {
  const half = size / 2;
  const px = sh.cx + ox;
  const py = sh.cy + oy;
  let cu = px;
  let cv = py;
  let r = Math.sqrt(sh.reach2);
  let tx = 0, ty = 0, rc = 1, rs = 0;
  if (pose) {
    cu = (Math.cos(pose.rot) * px - Math.sin(pose.rot) * py) * pose.scale + pose.tx;
    cv = (Math.sin(pose.rot) * px + Math.cos(pose.rot) * py) * pose.scale + pose.ty;
    r *= pose.scale;
    tx = pose.tx;
    ty = pose.ty;
    rc = pose.rc;
    rs = pose.rs;
  }
  const x0 = Math.max(0, Math.floor((cu - r + 1) * half - 0.5));
  const x1 = Math.min(size - 1, Math.ceil((cu + r + 1) * half - 0.5));
  const y0 = Math.max(0, Math.floor((cv - r + 1) * half - 0.5));
  const y1 = Math.min(size - 1, Math.ceil((cv + r + 1) * half - 0.5));
  const c0 = gain * sh.color[0];
  const c1 = gain * sh.color[1];
  const c2 = gain * sh.color[2];
  for (let yi = y0; yi <= y1; yi++) {
    const v0 = xs[yi]! - ty;
    for (let xi = x0; xi <= x1; xi++) {
      const u0 = xs[xi]! - tx;
      const val = evalShape(sh, rc * u0 + rs * v0, -rs * u0 + rc * v0, ox, oy);
      if (val === 0) continue;
      const o = (yi * size + xi) * 3;
      acc[o] += val * c0;
      acc[o + 1] += val * c1;
      acc[o + 2] += val * c2;
    }
  }
}

/** Renders `count` samples; labels cycle through the classes so every class is balanced. */
function render(p: SyntheticParams, classes: Shape[][], pool: Shape[], count: number, rng: Rng): Split {
  const { size, channels } = p;
  const images = new Uint8Array(count * size * size * channels);
  const labels = new Int32Array(count);
  const xs = new Float64Array(size);
  for (let i = 0; i < size; i++) xs[i] = (2 * (i + 0.5)) / size - 1;
  const acc = new Float64Array(size * size * 3);
  for (let n = 0; n < count; n++) {
    const label = n % p.classes;
    labels[n] = label;
    // Global pose: shift, scale, rotation; the inverse maps pixel coordinates into prototype space.
    const tx = rng.uniform(-0.2, 0.2);
    const ty = rng.uniform(-0.2, 0.2);
    const scale = rng.uniform(0.8, 1.2);
    const rot = rng.uniform(-0.35, 0.35);
    const rc = Math.cos(rot) / scale;
    const rs = Math.sin(rot) / scale;
    const contrast = rng.uniform(0.6, 1.4);
    const bright = rng.uniform(-0.1, 0.1);
    const shapes = classes[label]!;
    const jitter = shapes.map(() => [rng.normal() * 0.05, rng.normal() * 0.05] as const);
    const clutter = pool[rng.int(pool.length)]!;
    const clutterAt = [rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5)] as const;
    const clutterAmp = rng.uniform(0.3, 0.6);
    acc.fill(0);
    const pose: Pose = { tx, ty, scale, rot, rc, rs };
    for (let k = 0; k < shapes.length; k++) drawShape(acc, xs, size, pose, shapes[k]!, jitter[k]![0], jitter[k]![1], shapes[k]!.amp);
    drawShape(acc, xs, size, null, clutter, clutterAt[0] - clutter.cx, clutterAt[1] - clutter.cy, clutterAmp * clutter.amp);
    const base = n * size * size * channels;
    for (let px = 0; px < size * size; px++) {
      const o = px * 3;
      if (channels === 1) {
        const g = (acc[o]! + acc[o + 1]! + acc[o + 2]!) / 3;
        images[base + px] = toByte(0.25 + bright + 0.5 * contrast * g + 0.06 * noise(rng));
      } else {
        for (let ch = 0; ch < 3; ch++) {
          images[base + px * 3 + ch] = toByte(0.25 + bright + 0.5 * contrast * acc[o + ch]! + 0.06 * noise(rng));
        }
      }
    }
  }
  return { images, labels, count };
}

/** Approximately standard normal pixel noise (Irwin–Hall sum of 4 uniforms): 4× cheaper than Box–Muller. */
function noise(rng: Rng): number {
  return (rng.next() + rng.next() + rng.next() + rng.next() - 2) * Math.SQRT2 * 1.224744871391589;
}

function toByte(v: number): number {
  const b = Math.round(v * 255);
  return b < 0 ? 0 : b > 255 ? 255 : b;
}

/**
 * Generates the synthetic dataset, deterministic in (seed, params): prototypes from stream
 * 'synthetic-data' index 0, train images from index 1, test images from index 2, so changing the
 * test count never changes the train images.
 */
export function generateSynthetic(p: SyntheticParams, seed: number): StoredDataset {
  const { classes, pool } = prototypes(p, new Rng(deriveSeed(seed, 'synthetic-data', 0)));
  const train = render(p, classes, pool, p.train, new Rng(deriveSeed(seed, 'synthetic-data', 1)));
  const test = render(p, classes, pool, p.test, new Rng(deriveSeed(seed, 'synthetic-data', 2)));
  return {
    name: 'synthetic',
    height: p.size,
    width: p.size,
    channels: p.channels,
    classNames: Array.from({ length: p.classes }, (_, k) => `class ${k}`),
    train,
    test,
    source: 'generated',
  };
}

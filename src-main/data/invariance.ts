/**
 * The 'invariance' dataset: images whose class lives only in what the lab's augmentations preserve,
 * under strong nuisance that they resample — the paper's Appendix D picture (a class subspace under
 * nuisance, where DirectPred's W_p learns Σ^d(Σ^s)^{-1}'s invariant part) made into images.
 *
 * Every image is a background texture — a sinusoidal grating — under occluding clutter:
 * - **class** k of K: the grating's orientation magnitude |θ| = k·90°/(K−1) (angle of its wave
 *   vector from the x axis, ± 0.2 of the class spacing). A random resized crop keeps it (up to the
 *   crop's aspect distortion) and a horizontal flip maps θ to −θ, so |θ| survives both; brightness
 *   and contrast jitter leave it alone.
 * - **nuisance**, all drawn per image: the sign of θ (a flip resamples it); the grating's phase (a
 *   crop shifts it) and frequency, log-uniform over 2–8 cycles per side (a crop zooms by up to
 *   2.2×); a linear illumination gradient; `clutter` opaque objects — flat discs and boxes of a
 *   level in [−1, 1], and discs filled with a grating of their own random orientation — at random
 *   places (a crop keeps some and drops others); then the image's level, 0.5 ± 0.25ν, and contrast,
 *   an amplitude log-uniform over an 8^ν range (brightness and contrast jitter resample both). With
 *   3 channels the background and each object get their own colour.
 *
 * Because the phase is uniform, every class has the same mean image: a linear read-out of the
 * pixels is near chance (a softmax probe can only use how the classes' spreads differ: 28–34% of 4
 * classes at the claims' scale). The class is a second-order statistic (where the image's power spectrum
 * lies, folded over sign), which `orientationEnergy` computes directly: a linear probe on it is far
 * above chance. An untrained ConvNet's features mix it with the nuisance (its small filters see the
 * same orientation at another frequency or contrast as another texture), so its probe sits well
 * below that; an encoder trained to agree across views can discard what the views disagree on.
 * Parameters (`data.invariance`): size, channels, classes (K), train/test counts, `signal` (the
 * grating's amplitude relative to the clutter's levels), `clutter` (objects per image) and
 * `nuisance` (ν, scaling the level and contrast ranges).
 */
import { deriveSeed, Rng } from '../math/seeds.ts';
import type { InvarianceParams } from '../common/setup.ts';
import type { StoredDataset } from './stored.ts';
import type { Split } from './types.ts';

/** Parameters used when a setup names the dataset without a `data.invariance` block. */
export const INVARIANCE_DEFAULTS: InvarianceParams = { size: 28, channels: 1, classes: 4, train: 4096, test: 1024, signal: 1, clutter: 3, nuisance: 1 };

/** Frequency range of the class grating and of textured clutter, in cycles per image side. */
const FREQ_LO = 2;
const FREQ_HI = 8;
/** Std of pixel noise on the [0, 1] scale. */
const NOISE = 0.01;
/** Largest content amplitude (pixels) and largest illumination gradient (content units per half side). */
const AMP_MAX = 0.25;
const GRADIENT = 0.3;

/** One occluding object: centre, radius (unit-square units), soft edge, and what fills it. */
interface Clutter {
  cx: number;
  cy: number;
  r: number;
  /** 0 disc, 1 axis-aligned box, 2 disc filled with a grating. */
  kind: number;
  level: number;
  color: [number, number, number];
  /** Grating of a textured disc: wave vector (cycles per unit, as radians per unit) and phase. */
  kx: number;
  ky: number;
  phase: number;
}

/** Wave-vector angle of class k's grating (before the sign flip and jitter), in radians. */
export function classAngle(k: number, classes: number): number {
  return (k * Math.PI) / 2 / (classes - 1);
}

function randomColor(rng: Rng): [number, number, number] {
  return [rng.uniform(0.3, 1), rng.uniform(0.3, 1), rng.uniform(0.3, 1)];
}

/** Renders `count` images; labels cycle through the classes so every class is balanced. */
function render(p: InvarianceParams, count: number, rng: Rng): Split {
  const { size, channels, classes } = p;
  const nu = p.nuisance;
  const images = new Uint8Array(count * size * size * channels);
  const labels = new Int32Array(count);
  const xs = new Float64Array(size);
  for (let i = 0; i < size; i++) xs[i] = (2 * (i + 0.5)) / size - 1;
  const edge = 2 / size; // one pixel, in unit-square units: the objects' soft rim
  const spacing = Math.PI / 2 / (classes - 1);
  const rgb = new Float64Array(size * size * 3);
  for (let n = 0; n < count; n++) {
    const label = n % classes;
    labels[n] = label;
    // Class grating: |θ| from the class, sign, jitter, frequency and phase from the image.
    const th = (rng.next() < 0.5 ? -1 : 1) * (classAngle(label, classes) + rng.uniform(-0.2, 0.2) * spacing);
    const w = Math.PI * FREQ_LO * Math.exp(rng.uniform(0, Math.log(FREQ_HI / FREQ_LO))); // radians per unit (2 units per side)
    const gx = w * Math.cos(th);
    const gy = w * Math.sin(th);
    const phase = rng.uniform(0, 2 * Math.PI);
    // Background level, illumination gradient and contrast: the content (grating ±signal, clutter
    // levels in [-1, 1], gradient) is scaled by an amplitude log-uniform over a 8^ν range and added to
    // a level in 0.5 ± 0.25ν, so the extremes just touch 0 and 1.
    const level = 0.5 + nu * rng.uniform(-0.25, 0.25);
    const grad = rng.uniform(0, GRADIENT);
    const gdir = rng.uniform(0, 2 * Math.PI);
    const gu = grad * Math.cos(gdir);
    const gv = grad * Math.sin(gdir);
    const amp = (AMP_MAX * Math.exp(-nu * rng.uniform(0, Math.log(8)))) / Math.max(1, p.signal + GRADIENT);
    const bg = channels === 3 ? randomColor(rng) : ([1, 1, 1] as [number, number, number]);
    const objs: Clutter[] = [];
    for (let c = 0; c < p.clutter; c++) {
      const kind = rng.int(3);
      const cw = Math.PI * rng.uniform(FREQ_LO, FREQ_HI);
      const ct = rng.uniform(0, Math.PI);
      objs.push({
        cx: rng.uniform(-1, 1),
        cy: rng.uniform(-1, 1),
        r: rng.uniform(0.2, 0.45),
        kind,
        level: rng.uniform(-1, 1),
        color: channels === 3 ? randomColor(rng) : [1, 1, 1],
        kx: cw * Math.cos(ct),
        ky: cw * Math.sin(ct),
        phase: rng.uniform(0, 2 * Math.PI),
      });
    }
    for (let yi = 0; yi < size; yi++) {
      const v = xs[yi]!;
      for (let xi = 0; xi < size; xi++) {
        const u = xs[xi]!;
        const lum = gu * u + gv * v + p.signal * Math.cos(gx * u + gy * v + phase);
        let r = lum * bg[0];
        let g = lum * bg[1];
        let b = lum * bg[2];
        for (const o of objs) {
          const du = u - o.cx;
          const dv = v - o.cy;
          // Distance outside the object's boundary (negative inside): disc or box.
          const out = o.kind === 1 ? Math.max(Math.abs(du), Math.abs(dv)) - o.r : Math.sqrt(du * du + dv * dv) - o.r;
          if (out >= edge) continue;
          const alpha = out <= -edge ? 1 : 0.5 - out / (2 * edge);
          const val = o.kind === 2 ? o.level + p.signal * Math.cos(o.kx * u + o.ky * v + o.phase) : o.level;
          r += alpha * (val * o.color[0] - r);
          g += alpha * (val * o.color[1] - g);
          b += alpha * (val * o.color[2] - b);
        }
        const px = (yi * size + xi) * 3;
        rgb[px] = r;
        rgb[px + 1] = g;
        rgb[px + 2] = b;
      }
    }
    const base = n * size * size * channels;
    for (let px = 0; px < size * size; px++) {
      const o = px * 3;
      if (channels === 1) {
        images[base + px] = toByte(level + amp * rgb[o]! + NOISE * rng.normal());
      } else {
        for (let ch = 0; ch < 3; ch++) images[base + px * 3 + ch] = toByte(level + amp * rgb[o + ch]! + NOISE * rng.normal());
      }
    }
  }
  return { images, labels, count };
}

function toByte(v: number): number {
  const b = Math.round(v * 255);
  return b < 0 ? 0 : b > 255 ? 255 : b;
}

/**
 * Generates the dataset, deterministic in (seed, params): train images from stream
 * 'invariance-data' index 1, test images from index 2, so changing the test count never changes
 * the train images.
 */
export function generateInvariance(params: Partial<InvarianceParams> | undefined, seed: number): StoredDataset {
  const p: InvarianceParams = { ...INVARIANCE_DEFAULTS, ...params };
  const train = render(p, p.train, new Rng(deriveSeed(seed, 'invariance-data', 1)));
  const test = render(p, p.test, new Rng(deriveSeed(seed, 'invariance-data', 2)));
  const deg = (k: number) => Math.round((classAngle(k, p.classes) * 180) / Math.PI);
  return {
    name: 'invariance',
    height: p.size,
    width: p.size,
    channels: p.channels,
    classNames: Array.from({ length: p.classes }, (_, k) => `|θ| ${deg(k)}°`),
    train,
    test,
    source: 'generated',
  };
}

/**
 * The class-defining invariant computed from pixels: the image's power spectrum (mean removed;
 * channels averaged) in `bins` bins of folded wave-vector angle atan2(|k_y|, |k_x|) ∈ [0, 90°],
 * over the band of 2–10 cycles per side, as log shares of the band's power. Translation (phase),
 * horizontal flip (sign of θ) and brightness/contrast leave it unchanged, so it is what an
 * augmentation-invariant encoder can find; tests fit a linear probe on it as the task's oracle.
 */
export function orientationEnergy(images: Uint8Array, index: number, size: number, channels: number, bins = 12): Float64Array {
  const n = size;
  const img = new Float64Array(n * n);
  const base = index * n * n * channels;
  let mean = 0;
  for (let px = 0; px < n * n; px++) {
    let s = 0;
    for (let ch = 0; ch < channels; ch++) s += images[base + px * channels + ch]!;
    img[px] = s / channels / 255;
    mean += img[px]!;
  }
  mean /= n * n;
  for (let px = 0; px < n * n; px++) img[px] -= mean;
  // Separable DFT: rows, then columns, for the non-negative x frequencies (the rest mirror them).
  const half = n >> 1;
  const cos = new Float64Array(n * n);
  const sin = new Float64Array(n * n);
  for (let k = 0; k < n; k++) for (let x = 0; x < n; x++) {
    cos[k * n + x] = Math.cos((2 * Math.PI * k * x) / n);
    sin[k * n + x] = Math.sin((2 * Math.PI * k * x) / n);
  }
  const re = new Float64Array(n * (half + 1));
  const im = new Float64Array(n * (half + 1));
  for (let y = 0; y < n; y++) for (let kx = 0; kx <= half; kx++) {
    let a = 0, b = 0;
    for (let x = 0; x < n; x++) {
      a += img[y * n + x]! * cos[kx * n + x]!;
      b -= img[y * n + x]! * sin[kx * n + x]!;
    }
    re[y * (half + 1) + kx] = a;
    im[y * (half + 1) + kx] = b;
  }
  const energy = new Float64Array(bins);
  for (let ky = 0; ky < n; ky++) for (let kx = 0; kx <= half; kx++) {
    const fy = ky <= half ? ky : n - ky;
    const r = Math.hypot(kx, fy);
    if (r < 2 || r > 10) continue;
    let a = 0, b = 0;
    for (let y = 0; y < n; y++) {
      const c = cos[ky * n + y]!;
      const s = sin[ky * n + y]!;
      const xr = re[y * (half + 1) + kx]!;
      const xi = im[y * (half + 1) + kx]!;
      a += xr * c + xi * s;
      b += xi * c - xr * s;
    }
    const ang = Math.atan2(fy, kx);
    const bin = Math.min(bins - 1, Math.floor((ang / (Math.PI / 2)) * bins));
    energy[bin] += a * a + b * b;
  }
  let total = 0;
  for (const e of energy) total += e;
  for (let i = 0; i < bins; i++) energy[i] = Math.log((energy[i]! + 1e-9) / (total + 1e-9 * bins));
  return energy;
}

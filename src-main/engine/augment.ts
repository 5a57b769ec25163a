/**
 * Augmentations as batched tensor ops. The random draws are made in JS from a seeded stream (one per
 * step), so a step's views depend only on (root seed, step): resuming reproduces them exactly, and
 * every backend sees the same parameters.
 */
import * as tf from '@tensorflow/tfjs';
import type { Setup } from '../common/setup.ts';
import { Rng } from '../math/seeds.ts';

type AugmentSetup = Setup['augment'];

/** Per-image random parameters of one view of a batch. */
export interface AugmentPlan {
  /** N×4 normalised crop boxes (y1, x1, y2, x2); x1 > x2 encodes a horizontal flip. */
  boxes: Float32Array;
  brightness: Float32Array;
  contrast: Float32Array;
  saturation: Float32Array;
  /** 1 where the view is turned to grayscale (colour input only). */
  grayscale: Float32Array;
  noiseSeed: number;
}

/** Draws the parameters of one view for n images. */
export function planAugment(n: number, cfg: AugmentSetup, rng: Rng): AugmentPlan {
  const boxes = new Float32Array(n * 4);
  const brightness = new Float32Array(n);
  const contrast = new Float32Array(n);
  const saturation = new Float32Array(n);
  const grayscale = new Float32Array(n);
  const [sLo, sHi] = cfg.cropScale;
  const [rLo, rHi] = cfg.cropRatio;
  for (let i = 0; i < n; i++) {
    // Random resized crop: area fraction s, aspect ratio r (log-uniform), sides as image fractions.
    const s = rng.uniform(sLo, sHi);
    const r = Math.exp(rng.uniform(Math.log(rLo), Math.log(rHi)));
    const w = Math.min(1, Math.sqrt(s * r));
    const h = Math.min(1, Math.sqrt(s / r));
    const x0 = rng.uniform(0, 1 - w);
    const y0 = rng.uniform(0, 1 - h);
    const flip = cfg.flip && rng.next() < 0.5;
    boxes.set(flip ? [y0, x0 + w, y0 + h, x0] : [y0, x0, y0 + h, x0 + w], i * 4);
    brightness[i] = 1 + rng.uniform(-cfg.brightness, cfg.brightness);
    contrast[i] = 1 + rng.uniform(-cfg.contrast, cfg.contrast);
    saturation[i] = 1 + rng.uniform(-cfg.saturation, cfg.saturation);
    grayscale[i] = rng.next() < cfg.grayscale ? 1 : 0;
  }
  return { boxes, brightness, contrast, saturation, grayscale, noiseSeed: rng.int(2 ** 31) };
}

/** Maps [0,1] pixels to the network's input range. */
export function normalizeInput(x: tf.Tensor4D): tf.Tensor4D {
  return x.sub(0.5).mul(2);
}

/**
 * One augmented view of a batch of [0,1] images (N×H×W×C), already normalised for the network.
 * Call inside tf.tidy.
 */
export function augmentView(x: tf.Tensor4D, plan: AugmentPlan, cfg: AugmentSetup): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const boxInd = tf.range(0, n, 1, 'int32') as tf.Tensor1D;
  let v = tf.image.cropAndResize(x, tf.tensor2d(plan.boxes, [n, 4]), boxInd, [h, w], 'bilinear');
  const col = (a: Float32Array) => tf.tensor4d(a, [n, 1, 1, 1]);
  if (cfg.brightness > 0) v = v.mul(col(plan.brightness));
  if (cfg.contrast > 0) {
    const mean = v.mean([1, 2, 3], true);
    v = v.sub(mean).mul(col(plan.contrast)).add(mean);
  }
  if (c === 3) {
    const gray = v.mul(tf.tensor1d([0.299, 0.587, 0.114])).sum(3, true);
    if (cfg.saturation > 0) v = gray.add(v.sub(gray).mul(col(plan.saturation)));
    if (cfg.grayscale > 0) {
      const g = col(plan.grayscale);
      const gray2 = v.mul(tf.tensor1d([0.299, 0.587, 0.114])).sum(3, true);
      v = v.mul(tf.scalar(1).sub(g)).add(gray2.mul(g));
    }
  }
  if (cfg.noise > 0) v = v.add(tf.randomNormal(v.shape, 0, cfg.noise, 'float32', plan.noiseSeed));
  return normalizeInput(tf.clipByValue(v, 0, 1) as tf.Tensor4D);
}

/** Gathers images by index from uint8 storage into a float [0,1] batch tensor. */
export function gatherBatch(images: Uint8Array, pixelsPerImage: number, idx: ArrayLike<number>, shape: [number, number, number]): tf.Tensor4D {
  return tf.tensor4d(gatherPixels(images, pixelsPerImage, idx), [idx.length, ...shape]);
}

/** The [0,1] pixels of the images at `idx` of uint8 storage, one after another. */
export function gatherPixels(images: Uint8Array, pixelsPerImage: number, idx: ArrayLike<number>): Float32Array {
  const out = new Float32Array(idx.length * pixelsPerImage);
  for (let i = 0; i < idx.length; i++) {
    const src = idx[i]! * pixelsPerImage;
    const dst = i * pixelsPerImage;
    for (let k = 0; k < pixelsPerImage; k++) out[dst + k] = images[src + k]! / 255;
  }
  return out;
}

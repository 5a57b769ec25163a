/**
 * The reference training step every backend is compared by (`dplab backends`, `npm run bench --
 * step --backend B`): one BYOL step of a small ConvNet on 32×32×3 images — 4 conv 3×3 (32-64-128-256)
 * + BN + ReLU, 2×2 max-pool after the first three, global average pool; projector 256→512 (BN,
 * ReLU)→128; linear predictor 128×128; symmetric 2 − 2cos loss; SGD with momentum; EMA target
 * (γ_a = 0.996). About 240 MFLOP per image. The loss is read back with `await data()` once per
 * step, so the figure is honest on GPU backends (which queue work) and legal on webgpu.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormRelu, conv2d, dense, globalAvgPool, heNormal, maxPool2 } from './layers.ts';

const CHANNELS = [32, 64, 128, 256];
const GAMMA_A = 0.996;

type Params = Map<string, tf.Variable>;

/** The reference model's online and target parameters with one momentum-SGD + EMA step. */
export class ReferenceStep {
  private readonly online: Params = new Map();
  private readonly target: Params = new Map();
  private readonly momenta: Params = new Map();

  constructor(seed = 1) {
    const add = (name: string, t: tf.Tensor) => {
      this.online.set(name, tf.variable(t, true, `ref_${name}_${seed}_${Math.random().toString(36).slice(2)}`));
    };
    let cin = 3;
    CHANNELS.forEach((c, i) => {
      add(`c${i}.w`, heNormal([3, 3, cin, c], 9 * cin, seed + i));
      add(`c${i}.g`, tf.ones([c]));
      add(`c${i}.b`, tf.zeros([c]));
      cin = c;
    });
    add('p1.w', heNormal([256, 512], 256, seed + 10));
    add('p1.g', tf.ones([512]));
    add('p1.b', tf.zeros([512]));
    add('p2.w', heNormal([512, 128], 512, seed + 11));
    add('q.w', heNormal([128, 128], 128, seed + 12));
    for (const [k, v] of this.online) {
      if (k !== 'q.w') this.target.set(k, tf.variable(v.clone(), false));
      this.momenta.set(k, tf.variable(tf.zerosLike(v), false));
    }
  }

  private project(p: Params, x: tf.Tensor4D): tf.Tensor2D {
    const t = (k: string) => p.get(k) as unknown as tf.Tensor;
    let h: tf.Tensor4D = x;
    for (let i = 0; i < CHANNELS.length; i++) {
      h = batchNormRelu(conv2d(h, t(`c${i}.w`) as tf.Tensor4D), t(`c${i}.g`) as tf.Tensor1D, t(`c${i}.b`) as tf.Tensor1D, null).y;
      if (i < CHANNELS.length - 1) h = maxPool2(h);
    }
    const a = batchNormRelu(dense(globalAvgPool(h), t('p1.w') as tf.Tensor2D), t('p1.g') as tf.Tensor1D, t('p1.b') as tf.Tensor1D, null).y;
    return dense(a, t('p2.w') as tf.Tensor2D);
  }

  /** One step on views v1, v2; resolves with the loss (the step's only readback). */
  async step(v1: tf.Tensor4D, v2: tf.Tensor4D, lr = 0.05): Promise<number> {
    const loss = tf.tidy(() => {
      const z1t = this.project(this.target, v1);
      const z2t = this.project(this.target, v2);
      const q = this.online.get('q.w') as unknown as tf.Tensor2D;
      const cos = (p: tf.Tensor2D, z: tf.Tensor2D) =>
        tf.sum(tf.mul(p.div(p.norm('euclidean', 1, true)), z.div(z.norm('euclidean', 1, true))), 1).mean();
      const { value, grads } = tf.variableGrads(() => {
        const p1 = dense(this.project(this.online, v1), q);
        const p2 = dense(this.project(this.online, v2), q);
        return tf.sub(4, tf.mul(2, tf.add(cos(p1, z2t), cos(p2, z1t)))) as tf.Scalar;
      }, [...this.online.values()]);
      for (const [k, w] of this.online) {
        const m = this.momenta.get(k)!;
        const v = m.mul(0.9).add(grads[w.name]!);
        m.assign(v);
        w.assign(w.sub(v.mul(lr)));
      }
      for (const [k, t] of this.target) t.assign(t.mul(GAMMA_A).add(this.online.get(k)!.mul(1 - GAMMA_A)));
      return value;
    });
    const l = (await loss.data())[0]!;
    loss.dispose();
    return l;
  }

  dispose(): void {
    tf.dispose([...this.online.values(), ...this.target.values(), ...this.momenta.values()]);
  }
}

/** A throughput measurement of the reference step on the current backend. */
export interface StepRate {
  batch: number;
  /** Timed steps (after one warm-up step, which compiles shaders / warms caches). */
  steps: number;
  msPerStep: number;
  imagesPerSec: number;
  loss: number;
}

/**
 * Times the reference step at batch `batch` on the current backend: one warm-up step, then steps
 * until `budgetMs` has passed (at least one, at most `maxSteps`); reports the median step.
 */
export async function measureReferenceStep(batch: number, budgetMs = 3000, maxSteps = 50): Promise<StepRate> {
  const net = new ReferenceStep(1);
  const v1 = tf.randomUniform([batch, 32, 32, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const v2 = tf.randomUniform([batch, 32, 32, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
  try {
    let loss = await net.step(v1, v2);
    const times: number[] = [];
    const t0 = performance.now();
    while (times.length < maxSteps && (times.length === 0 || performance.now() - t0 < budgetMs)) {
      const s = performance.now();
      loss = await net.step(v1, v2);
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    const ms = times[Math.floor(times.length / 2)]!;
    return { batch, steps: times.length, msPerStep: ms, imagesPerSec: (batch * 1000) / ms, loss };
  } finally {
    net.dispose();
    tf.dispose([v1, v2]);
  }
}

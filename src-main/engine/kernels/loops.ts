/**
 * Plain typed-array loops behind our training kernels. They do the memory-bound work (layout
 * changes, batch-norm passes) that the wasm backend either lacks or does slowly (its generic
 * Transpose and Slice run at ~5-10 ns/element); the compute-bound work stays in XNNPACK's
 * matmul and convolution. All arrays are float32, row-major, NHWC for images, HWIO for filters.
 */

/** Geometry of one 2-D convolution (stride, padding, sizes), as tfjs's Conv2DInfo gives it. */
export interface ConvGeom {
  n: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

/**
 * Transposed im2col: out[(ky·kW + kx)·C + c, (n·outH + oy)·outW + ox] = x[n, oy·s + ky − pT,
 * ox·s + kx − pL, c] (zero outside). With this layout dW = out · dy[NP×C_out] is a plain matmul,
 * the only fast one on wasm. Inner loop runs along ox so writes are contiguous.
 */
export function im2colT(x: Float32Array, out: Float32Array, g: ConvGeom): void {
  const { n, inH, inW, inC, outH, outW, kH, kW, strideH, strideW, padTop, padLeft } = g;
  const np = n * outH * outW;
  const rowW = inW * inC;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const col0 = (b * outH + oy) * outW;
      for (let ky = 0; ky < kH; ky++) {
        const iy = oy * strideH + ky - padTop;
        const inside = iy >= 0 && iy < inH;
        const xRow = (b * inH + iy) * rowW;
        for (let kx = 0; kx < kW; kx++) {
          // Valid ox range for this kx: 0 ≤ ox·s + kx − pL < inW.
          const off = kx - padLeft;
          let oxLo = off >= 0 ? 0 : Math.ceil(-off / strideW);
          let oxHi = Math.min(outW, Math.floor((inW - 1 - off) / strideW) + 1);
          if (!inside) {
            oxLo = 0;
            oxHi = 0;
          }
          const rBase = (ky * kW + kx) * inC;
          for (let c = 0; c < inC; c++) {
            const o = (rBase + c) * np + col0;
            let ox = 0;
            for (; ox < oxLo; ox++) out[o + ox] = 0;
            let xi = xRow + (ox * strideW + off) * inC + c;
            const step = strideW * inC;
            for (; ox < oxHi; ox++, xi += step) out[o + ox] = x[xi];
            for (; ox < outW; ox++) out[o + ox] = 0;
          }
        }
      }
    }
  }
}

/** HWIO filter → spatially flipped, in/out swapped [kH, kW, C_out, C_in]: the filter of dx as a forward conv. */
export function flipSwapFilter(w: Float32Array, out: Float32Array, kH: number, kW: number, ci: number, co: number): void {
  for (let y = 0; y < kH; y++) {
    for (let x = 0; x < kW; x++) {
      const src = ((kH - 1 - y) * kW + (kW - 1 - x)) * ci * co;
      const dst = (y * kW + x) * co * ci;
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) out[dst + o * ci + i] = w[src + i * co + o];
      }
    }
  }
}

/**
 * Zero-insertion of a strided conv's output gradient: dy[n, y, x, c] lands at
 * out[n, y·sH, x·sW, c] of an [n, (h−1)·sH+1, (w−1)·sW+1, c] array. `out` must be zero-filled.
 */
export function dilate(dy: Float32Array, out: Float32Array, n: number, h: number, w: number, c: number, sH: number, sW: number): void {
  const dh = (h - 1) * sH + 1;
  const dw = (w - 1) * sW + 1;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const s = ((b * h + y) * w + x) * c;
        const d = ((b * dh + y * sH) * dw + x * sW) * c;
        for (let k = 0; k < c; k++) out[d + k] = dy[s + k];
      }
    }
  }
}

/** out[b, j, i] = a[b, i, j] for a of shape [batch, rows, cols]; 32×32 tiles keep both sides in cache. */
export function transposeLast2(a: Float32Array, out: Float32Array, batch: number, rows: number, cols: number): void {
  const T = 32;
  const size = rows * cols;
  for (let b = 0; b < batch; b++) {
    const base = b * size;
    for (let i0 = 0; i0 < rows; i0 += T) {
      const i1 = Math.min(rows, i0 + T);
      for (let j0 = 0; j0 < cols; j0 += T) {
        const j1 = Math.min(cols, j0 + T);
        for (let i = i0; i < i1; i++) {
          const src = base + i * cols;
          for (let j = j0; j < j1; j++) out[base + j * rows + i] = a[src + j];
        }
      }
    }
  }
}

/**
 * Batch-norm forward in training mode over rows of x [m, c]: per-channel batch mean μ and biased
 * variance σ², then y = (x − μ)/√(σ² + eps)·γ + β, optionally followed by ReLU.
 * Sums are taken in float64 around the first row (a shift that keeps E[x²] − E[x]² stable).
 */
export function batchNormForward(
  x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array,
  mean: Float32Array, variance: Float32Array, m: number, c: number, eps: number, relu: boolean,
): void {
  const s1 = new Float64Array(c);
  const s2 = new Float64Array(c);
  const shift = new Float64Array(c);
  for (let k = 0; k < c; k++) shift[k] = x[k];
  for (let r = 0, o = 0; r < m; r++, o += c) {
    for (let k = 0; k < c; k++) {
      const d = x[o + k] - shift[k];
      s1[k] += d;
      s2[k] += d * d;
    }
  }
  const scale = new Float32Array(c);
  const bias = new Float32Array(c);
  for (let k = 0; k < c; k++) {
    const md = s1[k] / m;
    const v = Math.max(0, s2[k] / m - md * md);
    const mu = shift[k] + md;
    mean[k] = mu;
    variance[k] = v;
    scale[k] = gamma[k] / Math.sqrt(v + eps);
    bias[k] = beta[k] - mu * scale[k];
  }
  if (relu) {
    for (let r = 0, o = 0; r < m; r++, o += c) {
      for (let k = 0; k < c; k++) {
        const v = x[o + k] * scale[k] + bias[k];
        y[o + k] = v > 0 ? v : 0;
      }
    }
  } else {
    for (let r = 0, o = 0; r < m; r++, o += c) {
      for (let k = 0; k < c; k++) y[o + k] = x[o + k] * scale[k] + bias[k];
    }
  }
}

/**
 * Batch-norm backward (training mode, batch statistics), with x̂ = (x − μ)/σ and σ = √(σ² + eps):
 * dβ = Σ dy, dγ = Σ dy·x̂, dx = γ/σ · (dy − dβ/m − x̂·dγ/m). With `relu`, dy is first masked by
 * the forward output y > 0 (recomputed from x̂, so y need not be kept). Two passes over x and dy.
 */
export function batchNormBackward(
  dy: Float32Array, x: Float32Array, gamma: Float32Array, beta: Float32Array, mean: Float32Array,
  variance: Float32Array, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
  m: number, c: number, eps: number, relu: boolean,
): void {
  const inv = new Float32Array(c);
  for (let k = 0; k < c; k++) inv[k] = 1 / Math.sqrt(variance[k] + eps);
  const sDy = new Float64Array(c);
  const sDyXh = new Float64Array(c);
  for (let r = 0, o = 0; r < m; r++, o += c) {
    for (let k = 0; k < c; k++) {
      const xh = (x[o + k] - mean[k]) * inv[k];
      let g = dy[o + k];
      if (relu && xh * gamma[k] + beta[k] <= 0) g = 0;
      sDy[k] += g;
      sDyXh[k] += g * xh;
    }
  }
  const a = new Float32Array(c);
  const mb = new Float32Array(c);
  const mg = new Float32Array(c);
  for (let k = 0; k < c; k++) {
    dbeta[k] = sDy[k];
    dgamma[k] = sDyXh[k];
    a[k] = gamma[k] * inv[k];
    mb[k] = sDy[k] / m;
    mg[k] = sDyXh[k] / m;
  }
  for (let r = 0, o = 0; r < m; r++, o += c) {
    for (let k = 0; k < c; k++) {
      const xh = (x[o + k] - mean[k]) * inv[k];
      let g = dy[o + k];
      if (relu && xh * gamma[k] + beta[k] <= 0) g = 0;
      dx[o + k] = a[k] * (g - mb[k] - xh * mg[k]);
    }
  }
}

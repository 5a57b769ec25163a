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
 * im2colT for stride 1 and 'same' output size, from x already transposed to xT [C, N·H·W]:
 * every row (ky, kx, c) of the result is xT[c] shifted by (ky − pT)·W + (kx − pL) along the flat
 * N·H·W axis, i.e. one memmove inside the wasm heap, after which only the entries whose shifted
 * source crossed an image border are zeroed. `heap` holds both arrays; offsets are in floats.
 */
export function im2colTShifted(heap: Float32Array, xT: number, out: number, g: ConvGeom): void {
  const { n, inH: H, inW: W, inC: C, kH, kW, padTop, padLeft } = g;
  const np = n * H * W;
  for (let ky = 0; ky < kH; ky++) {
    const sy = ky - padTop;
    for (let kx = 0; kx < kW; kx++) {
      const sx = kx - padLeft;
      const shift = sy * W + sx;
      for (let c = 0; c < C; c++) {
        const row = out + ((ky * kW + kx) * C + c) * np;
        const src = xT + c * np;
        // Copy the part of [shift, shift + np) that lies inside xT[c]; zero the rest.
        const lo = Math.max(0, -shift);
        const hi = Math.min(np, np - shift);
        if (lo > 0) heap.fill(0, row, row + lo);
        if (hi < np) heap.fill(0, row + hi, row + np);
        if (hi > lo) heap.copyWithin(row + lo, src + lo + shift, src + hi + shift);
        // Rows of each image whose source row is outside the image.
        if (sy !== 0) {
          for (let b = 0; b < n; b++) {
            const img = row + b * H * W;
            if (sy < 0) heap.fill(0, img, img + -sy * W);
            else heap.fill(0, img + (H - sy) * W, img + H * W);
          }
        }
        // Columns whose source column is outside the image.
        if (sx !== 0) {
          const c0 = sx < 0 ? 0 : W - sx;
          const c1 = sx < 0 ? -sx : W;
          for (let r = 0; r < n * H; r++) {
            const base = row + r * W;
            for (let x = c0; x < c1; x++) heap[base + x] = 0;
          }
        }
      }
    }
  }
}

/** Geometry of a 2-D pooling window, as tfjs's Conv2DInfo gives it. */
export interface PoolGeom {
  n: number;
  inH: number;
  inW: number;
  c: number;
  outH: number;
  outW: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

/**
 * Max-pool gradient for any window geometry: each dy goes to the first maximum of its window in
 * row-major order (the cpu backend's rule). `dx` must be zero-filled. Plain loops: used only for
 * geometries our fast kernel does not cover, where wasm's stock MaxPoolGrad can be wrong (it
 * disagrees with the cpu backend and finite differences for 2×2/2 'same' on odd sizes).
 */
export function maxPoolGradGeneric(x: Float32Array, dy: Float32Array, dx: Float32Array, g: PoolGeom): void {
  const { n, inH, inW, c, outH, outW, kH, kW, strideH, strideW, padTop, padLeft } = g;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let k = 0; k < c; k++) {
          let best = -Infinity;
          let at = -1;
          for (let wy = 0; wy < kH; wy++) {
            const iy = oy * strideH - padTop + wy;
            if (iy < 0 || iy >= inH) continue;
            for (let wx = 0; wx < kW; wx++) {
              const ix = ox * strideW - padLeft + wx;
              if (ix < 0 || ix >= inW) continue;
              const i = ((b * inH + iy) * inW + ix) * c + k;
              if (x[i] > best || at < 0) {
                best = x[i];
                at = i;
              }
            }
          }
          if (at >= 0) dx[at] += dy[((b * outH + oy) * outW + ox) * c + k];
        }
      }
    }
  }
}

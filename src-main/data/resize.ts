/**
 * Image resampling for import: centre-crop to a square, then area averaging when shrinking (each
 * output pixel is the mean of the source area it covers, so no aliasing) or bilinear when growing.
 * Channels-last uint8 in and out.
 */

/** Resizes one H×W×C image to size×size×C (centre square crop first when H ≠ W). */
export function resizeSquare(src: Uint8Array, h: number, w: number, c: number, size: number): Uint8Array {
  const side = Math.min(h, w);
  const y0 = (h - side) >> 1;
  const x0 = (w - side) >> 1;
  const out = new Uint8Array(size * size * c);
  if (side === size) {
    for (let y = 0; y < size; y++) out.set(src.subarray(((y + y0) * w + x0) * c, ((y + y0) * w + x0 + size) * c), y * size * c);
    return out;
  }
  const scale = side / size;
  if (scale > 1) {
    // Area average: output pixel (oy, ox) covers source [oy·s, (oy+1)·s) × [ox·s, (ox+1)·s), fractional edges weighted.
    const acc = new Float64Array(c);
    for (let oy = 0; oy < size; oy++) {
      const sy0 = oy * scale;
      const sy1 = sy0 + scale;
      for (let ox = 0; ox < size; ox++) {
        const sx0 = ox * scale;
        const sx1 = sx0 + scale;
        acc.fill(0);
        let wsum = 0;
        for (let sy = Math.floor(sy0); sy < Math.min(side, Math.ceil(sy1)); sy++) {
          const wy = Math.min(sy + 1, sy1) - Math.max(sy, sy0);
          for (let sx = Math.floor(sx0); sx < Math.min(side, Math.ceil(sx1)); sx++) {
            const wgt = wy * (Math.min(sx + 1, sx1) - Math.max(sx, sx0));
            const o = ((sy + y0) * w + sx + x0) * c;
            for (let k = 0; k < c; k++) acc[k] += wgt * src[o + k]!;
            wsum += wgt;
          }
        }
        const d = (oy * size + ox) * c;
        for (let k = 0; k < c; k++) out[d + k] = Math.round(acc[k]! / wsum);
      }
    }
    return out;
  }
  // Bilinear, pixel centres aligned.
  for (let oy = 0; oy < size; oy++) {
    const fy = Math.min(side - 1, Math.max(0, (oy + 0.5) * scale - 0.5));
    const iy = Math.min(side - 2, Math.floor(fy));
    const ty = side === 1 ? 0 : fy - iy;
    for (let ox = 0; ox < size; ox++) {
      const fx = Math.min(side - 1, Math.max(0, (ox + 0.5) * scale - 0.5));
      const ix = Math.min(side - 2, Math.floor(fx));
      const tx = side === 1 ? 0 : fx - ix;
      const d = (oy * size + ox) * c;
      const at = (yy: number, xx: number, k: number) => src[((Math.max(0, yy) + y0) * w + Math.max(0, xx) + x0) * c + k]!;
      for (let k = 0; k < c; k++) {
        const v =
          (1 - ty) * ((1 - tx) * at(iy, ix, k) + tx * at(iy, ix + 1, k)) + ty * ((1 - tx) * at(iy + 1, ix, k) + tx * at(iy + 1, ix + 1, k));
        out[d + k] = Math.round(v);
      }
    }
  }
  return out;
}

/** Resizes every image of a batch (N×H×W×C) to size×size. */
export function resizeBatch(images: Uint8Array, n: number, h: number, w: number, c: number, size: number): Uint8Array {
  if (h === size && w === size) return images;
  const per = h * w * c;
  const out = new Uint8Array(n * size * size * c);
  for (let i = 0; i < n; i++) out.set(resizeSquare(images.subarray(i * per, (i + 1) * per), h, w, c, size), i * size * size * c);
  return out;
}

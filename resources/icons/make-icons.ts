/**
 * Draws the app icon (a descending eigenvalue spectrum on a rounded square, after the paper's
 * s_j plots) as PNGs in the sizes electron-builder takes from a Linux icon folder; the 512 one
 * also serves macOS and Windows. Run: node --import tsx resources/icons/make-icons.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';

function draw(n: number): Buffer {
  const png = new PNG({ width: n, height: n });
  const r = n * 0.18;
  const bars = [0.78, 0.62, 0.5, 0.34, 0.2, 0.1, 0.05];
  const left = n * 0.16;
  const barW = (n * 0.68) / bars.length;
  const base = n * 0.8;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const i = (y * n + x) * 4;
      // Rounded-square mask with a one-pixel soft edge.
      const dx = Math.max(0, Math.abs(x + 0.5 - n / 2) - (n / 2 - r));
      const dy = Math.max(0, Math.abs(y + 0.5 - n / 2) - (n / 2 - r));
      const d = Math.hypot(dx, dy) - r;
      const alpha = Math.max(0, Math.min(1, 0.5 - d));
      const t = y / n;
      let [R, G, B] = [Math.round(30 + 20 * t), Math.round(64 + 30 * t), Math.round(175 - 40 * t)];
      const k = Math.floor((x - left) / barW);
      if (k >= 0 && k < bars.length) {
        const inBar = x - left - k * barW > barW * 0.14 && x - left - k * barW < barW * 0.86;
        if (inBar && y <= base && y >= base - bars[k]! * n * 0.62) [R, G, B] = k < 3 ? [255, 255, 255] : [170, 200, 255];
      }
      if (y > base + n * 0.01 && y < base + n * 0.025 && x > left && x < n - left) [R, G, B] = [220, 230, 255];
      png.data[i] = R;
      png.data[i + 1] = G;
      png.data[i + 2] = B;
      png.data[i + 3] = Math.round(alpha * 255);
    }
  }
  return PNG.sync.write(png);
}

const dir = fileURLToPath(new URL('.', import.meta.url));
for (const n of [16, 32, 48, 64, 128, 256, 512]) writeFileSync(`${dir}${n}x${n}.png`, draw(n));
writeFileSync(`${dir}icon.png`, draw(512));

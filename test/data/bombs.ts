/**
 * Decompression bombs, crafted byte by byte: small files whose headers declare (and whose
 * compressed data really inflate to) far more than the import limits. Valid in every checksum, so
 * the readers of the old code decode them to the end.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 as PNG chunks use it (ISO 3309). */
function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A PNG of width×height whose IDAT inflates to `inflated` zero bytes (every row filter 0, every
 * pixel 0); `depth` and `colour` as in IHDR. With inflated = height·(1 + ⌈width·bits/8⌉) it is a
 * complete, valid image.
 */
export function pngBomb(width: number, height: number, opts: { depth?: number; colour?: number; interlace?: boolean; inflated?: number } = {}): Buffer {
  const depth = opts.depth ?? 1;
  const colour = opts.colour ?? 0;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = depth;
  ihdr[9] = colour;
  ihdr[12] = opts.interlace ? 1 : 0;
  const bits = depth * ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colour]!;
  const inflated = opts.inflated ?? height * (1 + Math.ceil((width * bits) / 8));
  const idat = deflateSync(Buffer.alloc(inflated), { level: 9 });
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

/** A JPEG whose frame header (SOF0, after an APP1 segment to skip) declares width×height, three components; no scan data. */
export function jpegBomb(width: number, height: number): Buffer {
  const app1 = Buffer.alloc(2 + 2 + 1000);
  app1.writeUInt16BE(0xffe1, 0);
  app1.writeUInt16BE(2 + 1000, 2);
  const sof = Buffer.alloc(2 + 17);
  sof.writeUInt16BE(0xffc0, 0);
  sof.writeUInt16BE(17, 2);
  sof[4] = 8;
  sof.writeUInt16BE(height, 5);
  sof.writeUInt16BE(width, 7);
  sof[9] = 3;
  for (let c = 0; c < 3; c++) sof.set([c + 1, 0x11, 0], 10 + 3 * c);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app1, sof, Buffer.from([0xff, 0xd9])]);
}

/**
 * An IDX folder whose gzip train-images file declares n×h×w and really inflates to it: one gzip
 * member for the header, then the same member of 64 MiB of zeros repeated (gzip readers read
 * concatenated members as one stream), so ~1 KB of file per 1 MiB of data. The other three
 * files are small and valid.
 */
export function writeIdxBomb(dir: string, n: number, h: number, w: number): { file: string; bytes: number } {
  mkdirSync(dir, { recursive: true });
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x00000803, 0);
  header.writeUInt32BE(n, 4);
  header.writeUInt32BE(h, 8);
  header.writeUInt32BE(w, 12);
  const total = n * h * w;
  const block = 64 * 2 ** 20;
  const member = gzipSync(Buffer.alloc(block), { level: 9 });
  const parts = [gzipSync(header)];
  for (let left = total; left > 0; left -= block) parts.push(left >= block ? member : gzipSync(Buffer.alloc(left)));
  const file = join(dir, 'train-images-idx3-ubyte.gz');
  writeFileSync(file, Buffer.concat(parts));
  const labels = (count: number) => {
    const b = Buffer.alloc(8 + count);
    b.writeUInt32BE(0x00000801, 0);
    b.writeUInt32BE(count, 4);
    return b;
  };
  writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(labels(n)));
  const test = Buffer.alloc(16 + 4 * h * w);
  test.writeUInt32BE(0x00000803, 0);
  test.writeUInt32BE(4, 4);
  test.writeUInt32BE(h, 8);
  test.writeUInt32BE(w, 12);
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), test);
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), labels(4));
  return { file, bytes: total };
}

/**
 * Whole-file reads and writes of byte tensors. Node's readFile stops at 2 GiB and STL-10's
 * unlabeled_X.bin is 2.76 GB, so reads go through a file descriptor in chunks.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const CHUNK = 64 * 1024 * 1024;

/** The whole file as bytes; gzip-compressed files (magic 1f 8b) are inflated. */
export function readBytes(path: string): Uint8Array {
  const raw = readRaw(path);
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      const b = gunzipSync(raw);
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (e) {
      throw new Error(`${path}: the gzip stream is damaged or truncated (${(e as Error).message})`);
    }
  }
  return raw;
}

/** The file's bytes as stored (no decompression). */
export function readRaw(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const out = new Uint8Array(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, out, off, Math.min(CHUNK, size - off), off);
      if (n <= 0) throw new Error(`${path}: file ended at byte ${off} of ${size} while reading`);
      off += n;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** Writes bytes in chunks (no 2 GiB limit). */
export function writeBytes(path: string, data: Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    let off = 0;
    while (off < data.length) {
      off += writeSync(fd, data, off, Math.min(CHUNK, data.length - off));
    }
  } finally {
    closeSync(fd);
  }
}

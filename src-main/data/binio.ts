/**
 * Whole-file reads and writes of byte tensors. Node's readFile stops at 2 GiB and STL-10's
 * unlabeled_X.bin is 2.76 GB, so reads go through a file descriptor in chunks.
 */
import { closeSync, fstatSync, openSync, readSync, statSync, writeSync } from 'node:fs';
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

/**
 * Reads a whole file into `target` at `offset` (gzip inflated), so several files can fill one
 * buffer without an extra copy; returns the number of bytes placed.
 */
export function readBytesInto(path: string, target: Uint8Array, offset: number): number {
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(2);
    const size = fstatSync(fd).size;
    readSync(fd, head, 0, Math.min(2, size), 0);
    if (size >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
      const b = readBytes(path);
      if (offset + b.length > target.length) throw new Error(`${path}: ${b.length} bytes do not fit the ${target.length - offset} expected`);
      target.set(b, offset);
      return b.length;
    }
    if (offset + size > target.length) throw new Error(`${path}: ${size} bytes do not fit the ${target.length - offset} expected`);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, target, offset + off, Math.min(CHUNK, size - off), off);
      if (n <= 0) throw new Error(`${path}: file ended at byte ${off} of ${size} while reading`);
      off += n;
    }
    return size;
  } finally {
    closeSync(fd);
  }
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

/**
 * Streams a file of fixed-size records in chunks of whole records, so multi-gigabyte files need
 * no second copy in memory. Throws, naming the file, when its length is not a multiple of the
 * record size (a truncated or foreign file).
 */
export function forEachRecord(path: string, recordSize: number, fn: (record: Uint8Array, index: number) => void): number {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0 || size % recordSize !== 0) {
      throw new Error(`${path}: ${size} bytes is not a whole number of ${recordSize}-byte records: the file is truncated or not in this format`);
    }
    const count = size / recordSize;
    const perChunk = Math.max(1, Math.floor(CHUNK / recordSize));
    const buf = new Uint8Array(perChunk * recordSize);
    let index = 0;
    while (index < count) {
      const n = Math.min(perChunk, count - index);
      const want = n * recordSize;
      let got = 0;
      while (got < want) {
        const r = readSync(fd, buf, got, want - got, index * recordSize + got);
        if (r <= 0) throw new Error(`${path}: file ended at byte ${index * recordSize + got} of ${size}`);
        got += r;
      }
      for (let k = 0; k < n; k++) fn(buf.subarray(k * recordSize, (k + 1) * recordSize), index + k);
      index += n;
    }
    return count;
  } finally {
    closeSync(fd);
  }
}

/** File size in bytes, or an Error naming a missing file. */
export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    throw new Error(`${path} is missing`);
  }
}

/**
 * Whole-file reads and writes of byte tensors. Node's readFile stops at 2 GiB and STL-10's
 * unlabeled_X.bin is 2.76 GB, so reads go through a file descriptor in chunks.
 */
import { closeSync, fstatSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';

const CHUNK = 64 * 1024 * 1024;

const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/**
 * The whole file as bytes; gzip-compressed files (magic 1f 8b) are inflated. `maxBytes` bounds
 * the result, checked before reading a raw file and as gunzip's `maxOutputLength` for a gzip one,
 * so a few megabytes of gzip can never inflate past what the caller expects; `expected` says in
 * the error where the bound comes from (e.g. "its header declares").
 */
export function readBytes(path: string, maxBytes: number, expected = 'expected'): Uint8Array {
  const size = fileSize(path);
  const head = readRawHead(path, 2);
  if (!isGzip(head)) {
    if (size > maxBytes) throw new Error(`${path}: the file holds ${size} bytes, more than the ${maxBytes} ${expected}`);
    return readRaw(path);
  }
  const raw = readRaw(path);
  try {
    const b = gunzipSync(raw, { maxOutputLength: Math.max(1, maxBytes) });
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Error(`${path}: the gzip stream inflates to more than the ${maxBytes} bytes ${expected}; inflating stopped there (the file is too long or not what it claims)`, { cause: e });
    }
    throw new Error(`${path}: the gzip stream is damaged or truncated (${(e as Error).message})`, { cause: e });
  }
}

/** The first `n` bytes as stored (fewer when the file is shorter). */
function readRawHead(path: string, n: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const out = new Uint8Array(Math.min(n, fstatSync(fd).size));
    let off = 0;
    while (off < out.length) {
      const r = readSync(fd, out, off, out.length - off, off);
      if (r <= 0) break;
      off += r;
    }
    return out.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** Deflate's largest expansion: one compressed byte yields at most ~1032 bytes (258-byte matches in 2 bits). */
const DEFLATE_MAX_RATIO = 1032;
/** Compressed prefixes tried for a header: the second covers long gzip name or comment fields. */
const HEAD_PREFIXES = [4096, 65536];

/**
 * The first `n` bytes of a file's content (gzip inflated), fewer when it is shorter, without
 * inflating the rest: a header is read from a compressed prefix (flushed, not finished), whose
 * output is bounded by deflate's maximum ratio, so a bomb costs a few MB here at most.
 */
export function readHead(path: string, n: number): Uint8Array {
  const size = fileSize(path);
  const first = readRawHead(path, 2);
  if (!isGzip(first)) return readRawHead(path, n);
  for (const k of HEAD_PREFIXES) {
    const prefix = readRawHead(path, Math.min(k, size));
    let out: Buffer;
    try {
      out = gunzipSync(prefix, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: DEFLATE_MAX_RATIO * prefix.length + 65536 });
    } catch (e) {
      throw new Error(`${path}: the gzip stream is damaged or truncated (${(e as Error).message})`, { cause: e });
    }
    if (out.length >= n || prefix.length === size) return new Uint8Array(out.buffer, out.byteOffset, Math.min(n, out.length));
  }
  throw new Error(`${path}: the first ${HEAD_PREFIXES.at(-1)} bytes of the gzip stream do not inflate to the ${n}-byte header: damaged or not this format`);
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
      const b = readBytes(path, target.length - offset, 'that fit');
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

/**
 * Compact blobs for spectra and projections: float32 little-endian, written through a DataView so a file made on one
 * machine reads the same on any other (the archive is meant to outlive the machine).
 */

/** Encodes numbers as float32 LE (NaN and ±∞ survive as IEEE values). */
export function encodeF32(values: ArrayLike<number>): Buffer {
  const buf = Buffer.allocUnsafe(values.length * 4);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return buf;
}

/** Decodes a float32 LE blob into plain numbers. */
export function decodeF32(blob: Uint8Array): number[] {
  if (blob.byteLength % 4 !== 0) throw new Error(`blob of ${blob.byteLength} bytes is not a whole number of float32 values`);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const out = new Array<number>(blob.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Encodes integers (class labels) as int32 LE. */
export function encodeI32(values: ArrayLike<number>): Buffer {
  const buf = Buffer.allocUnsafe(values.length * 4);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < values.length; i++) view.setInt32(i * 4, values[i]!, true);
  return buf;
}

/** Decodes an int32 LE blob into plain numbers. */
export function decodeI32(blob: Uint8Array): number[] {
  if (blob.byteLength % 4 !== 0) throw new Error(`blob of ${blob.byteLength} bytes is not a whole number of int32 values`);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const out = new Array<number>(blob.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt32(i * 4, true);
  return out;
}

/**
 * Checkpoints: everything a run needs to continue exactly (weights, EMA target, optimiser momenta,
 * BN running statistics, F̂, step, summary windows), in a compact binary form for the archive.
 * Every array keeps the precision it is held in (tfjs variables float32, F̂ float64), so a resumed
 * run continues bit for bit.
 * Layout: "DPLCKPT2", u32 little-endian header length, UTF-8 JSON header, padding to 8 bytes,
 * then the data of each tensor in header order (each a multiple of 8 bytes, zero-padded), its
 * dtype named in the header. "DPLCKPT1" files (all float32, 4-byte aligned) are still read.
 */
import { z } from 'zod';

/** The element types a checkpoint stores. */
export type CheckpointDtype = 'float32' | 'float64';

/** A run's state at a step. */
export interface Checkpoint {
  step: number;
  epoch: number;
  setupHash: string;
  tensors: Record<string, { shape: number[]; data: Float32Array | Float64Array }>;
  /** JSON-serialisable extras (summary windows, …); numbers round-trip exactly through JSON. */
  state: Record<string, unknown>;
}

const MAGIC_V1 = 'DPLCKPT1';
const MAGIC = 'DPLCKPT2';
const ALIGN = 8;

const up = (n: number, a: number) => Math.ceil(n / a) * a;
const dtypeOf = (d: Float32Array | Float64Array): CheckpointDtype => (d instanceof Float64Array ? 'float64' : 'float32');

/** The JSON header of a checkpoint: its fields and every tensor's name, shape and length, checked before any data is read. */
const HeaderSchema = z.object({
  step: z.number().int().min(0),
  epoch: z.number().min(0),
  setupHash: z.string(),
  state: z.record(z.string(), z.unknown()),
  tensors: z.array(
    z
      .object({ name: z.string().regex(/^[\w./-]+$/).refine((n) => n !== '__proto__', 'is not a tensor name'), shape: z.array(z.number().int().min(0)), length: z.number().int().min(0), dtype: z.enum(['float32', 'float64']).optional() })
      .refine((t) => t.shape.reduce((a, b) => a * b, 1) === t.length, { message: 'shape does not match length' }),
  ),
});

/** Serialises a checkpoint to bytes. */
export function encodeCheckpoint(c: Checkpoint): Buffer {
  const names = Object.keys(c.tensors).sort();
  const header = JSON.stringify({
    step: c.step,
    epoch: c.epoch,
    setupHash: c.setupHash,
    state: c.state,
    tensors: names.map((n) => ({ name: n, shape: c.tensors[n]!.shape, length: c.tensors[n]!.data.length, dtype: dtypeOf(c.tensors[n]!.data) })),
  });
  const h = Buffer.from(header, 'utf8');
  const dataStart = up(8 + 4 + h.length, ALIGN);
  const total = dataStart + names.reduce((a, n) => a + up(c.tensors[n]!.data.byteLength, ALIGN), 0);
  const out = Buffer.alloc(total);
  out.write(MAGIC, 0, 'ascii');
  out.writeUInt32LE(h.length, 8);
  h.copy(out, 12);
  let off = dataStart;
  for (const n of names) {
    const d = c.tensors[n]!.data;
    Buffer.from(d.buffer, d.byteOffset, d.byteLength).copy(out, off);
    off += up(d.byteLength, ALIGN);
  }
  return out;
}

/** Parses bytes made by `encodeCheckpoint` (either version); throws a clear error on anything else. */
export function decodeCheckpoint(b: Uint8Array): Checkpoint {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const magic = buf.length >= 12 ? buf.toString('ascii', 0, 8) : '';
  if (magic !== MAGIC && magic !== MAGIC_V1) throw new Error('not a DirectPred Lab checkpoint');
  const v1 = magic === MAGIC_V1;
  const hl = buf.readUInt32LE(8);
  if (12 + hl > buf.length) throw new Error('checkpoint is truncated (header)');
  let raw: unknown;
  try {
    raw = JSON.parse(buf.toString('utf8', 12, 12 + hl));
  } catch (e) {
    throw new Error(`checkpoint header is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  const parsed = HeaderSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`checkpoint header is invalid at ${i.path.join('.') || '(header)'}: ${i.message}`);
  }
  const header = parsed.data;
  const align = v1 ? 4 : ALIGN;
  let off = up(12 + hl, align);
  const tensors: Checkpoint['tensors'] = {};
  for (const t of header.tensors) {
    const dtype = t.dtype ?? 'float32';
    const data = dtype === 'float64' ? new Float64Array(t.length) : new Float32Array(t.length);
    if (off + data.byteLength > buf.length) throw new Error(`checkpoint is truncated (tensor ${t.name})`);
    new Uint8Array(data.buffer).set(buf.subarray(off, off + data.byteLength));
    tensors[t.name] = { shape: t.shape, data };
    off += up(data.byteLength, align);
  }
  return { step: header.step, epoch: header.epoch, setupHash: header.setupHash, state: header.state, tensors };
}

/**
 * Checkpoints: everything a run needs to continue exactly (weights, EMA target, optimiser momenta,
 * BN running statistics, F̂, step), in a compact binary form for the archive.
 * Layout: "DPLCKPT1", u32 little-endian header length, UTF-8 JSON header, padding to 4 bytes,
 * then the float32 data of each tensor in header order.
 */

/** A run's state at a step. */
export interface Checkpoint {
  step: number;
  epoch: number;
  setupHash: string;
  tensors: Record<string, { shape: number[]; data: Float32Array }>;
  /** JSON-serialisable extras (F̂ initialised flag, last loss, …). */
  state: Record<string, unknown>;
}

const MAGIC = 'DPLCKPT1';

/** Serialises a checkpoint to bytes. */
export function encodeCheckpoint(c: Checkpoint): Buffer {
  const names = Object.keys(c.tensors).sort();
  const header = JSON.stringify({
    step: c.step,
    epoch: c.epoch,
    setupHash: c.setupHash,
    state: c.state,
    tensors: names.map((n) => ({ name: n, shape: c.tensors[n]!.shape, length: c.tensors[n]!.data.length })),
  });
  const h = Buffer.from(header, 'utf8');
  const headEnd = 8 + 4 + h.length;
  const dataStart = Math.ceil(headEnd / 4) * 4;
  const total = dataStart + names.reduce((a, n) => a + c.tensors[n]!.data.length * 4, 0);
  const out = Buffer.alloc(total);
  out.write(MAGIC, 0, 'ascii');
  out.writeUInt32LE(h.length, 8);
  h.copy(out, 12);
  let off = dataStart;
  for (const n of names) {
    const d = c.tensors[n]!.data;
    Buffer.from(d.buffer, d.byteOffset, d.byteLength).copy(out, off);
    off += d.byteLength;
  }
  return out;
}

/** Parses bytes made by `encodeCheckpoint`; throws a clear error on anything else. */
export function decodeCheckpoint(b: Uint8Array): Checkpoint {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (buf.length < 12 || buf.toString('ascii', 0, 8) !== MAGIC) throw new Error('not a DirectPred Lab checkpoint');
  const hl = buf.readUInt32LE(8);
  if (12 + hl > buf.length) throw new Error('checkpoint is truncated (header)');
  const header = JSON.parse(buf.toString('utf8', 12, 12 + hl)) as {
    step: number;
    epoch: number;
    setupHash: string;
    state: Record<string, unknown>;
    tensors: { name: string; shape: number[]; length: number }[];
  };
  let off = Math.ceil((12 + hl) / 4) * 4;
  const tensors: Checkpoint['tensors'] = {};
  for (const t of header.tensors) {
    const bytes = t.length * 4;
    if (off + bytes > buf.length) throw new Error(`checkpoint is truncated (tensor ${t.name})`);
    const data = new Float32Array(t.length);
    new Uint8Array(data.buffer).set(buf.subarray(off, off + bytes));
    tensors[t.name] = { shape: t.shape, data };
    off += bytes;
  }
  return { step: header.step, epoch: header.epoch, setupHash: header.setupHash, state: header.state, tensors };
}

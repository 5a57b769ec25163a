/**
 * The few pieces of a WebAssembly assembler our hand-built kernel modules share (simd.ts, direct.ts):
 * opcodes of the core and fixed-width SIMD instruction sets as standardised, LEB128 integers and
 * the module's vectors, sections and names. Byte arrays in, byte arrays out: no toolchain needed.
 */

/** Value types. */
export const I32 = 0x7f, V128 = 0x7b;
/** Control. */
export const LOOP = 0x03, BR_IF = 0x0d, END = 0x0b, VOID = 0x40;
/** f32x4 arithmetic and comparisons, v128.bitselect. */
export const F_ADD = [0xfd, 0xe4, 0x01], F_SUB = [0xfd, 0xe5, 0x01], F_MUL = [0xfd, 0xe6, 0x01];
export const F_NE = [0xfd, 0x42], F_GT = [0xfd, 0x44], BITSELECT = [0xfd, 0x52];

/** v128.const of four copies of the float32 with bit pattern `bits`. */
export const splat4 = (bits: number): number[] => [0xfd, 0x0c, ...Array<number[]>(4).fill([bits & 0xff, (bits >>> 8) & 0xff, (bits >>> 16) & 0xff, bits >>> 24]).flat()];
/** v128 constants 0.0, 1.0 and a quiet NaN in all four lanes. */
export const ZERO = splat4(0), ONE = splat4(0x3f800000), QNAN = splat4(0x7fc00000);

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** A vector: its length, then its items. */
export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
/** A section: its id, its size, its body. */
export const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
/** A name (ASCII). */
export const str = (s: string): number[] => [...uleb(s.length), ...[...s].map((ch) => ch.charCodeAt(0))];

/**
 * A small WebAssembly module with 128-bit SIMD loops for batch norm, instantiated on the wasm
 * backend's own memory so it reads and writes tensors where they lie (no copy). Plain JS loops
 * over the heap ran at ~3.5 ns per element here, slower than the ~6 SIMD wasm ops they were to
 * replace; these loops stream 4 floats per instruction. The module is assembled below from its
 * opcodes (no toolchain needed); every loop walks rows × channels of a row-major [rows, c] array,
 * c a multiple of 4, with per-channel vectors (c floats) beside it. Pointers are byte offsets.
 */

import { BITSELECT, BR_IF, END, F_ADD, F_GT, F_MUL, F_NE, F_SUB, I32, LOOP, ONE, QNAN, section, str, uleb, V128, vec, VOID, ZERO } from './wasm-asm.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
const WA = (globalThis as any).WebAssembly as {
  Module: new (bytes: Uint8Array) => unknown;
  Instance: new (module: unknown, imports: unknown) => { exports: Record<string, (...a: number[]) => void> };
};

/** The exported loops (all pointers are byte offsets into the backend's heap). */
export interface SimdLoops {
  /** s[j] += Σ_r (x[r,j] − k[j]), q[j] += Σ_r (x[r,j] − k[j])². */
  sums(rows: number, c: number, x: number, k: number, s: number, q: number): void;
  /** sg[j] += Σ_r dy[r,j], sgd[j] += Σ_r dy[r,j]·(x[r,j] − μ[j]). */
  gradSums(rows: number, c: number, dy: number, x: number, mu: number, sg: number, sgd: number): void;
  /** y[r,j] = (x[r,j] − μ[j])·a[j] + b[j]. */
  affine(rows: number, c: number, x: number, y: number, mu: number, a: number, b: number): void;
  /** dx[r,j] = dy[r,j]·a[j] + (x[r,j] − μ[j])·b[j] + k[j]. */
  gradAffine(rows: number, c: number, dy: number, x: number, dx: number, mu: number, a: number, b: number, k: number): void;
  /** out[i] = dy[i]·s(x[i]), s = 1 where x > 0, NaN where x is NaN, else 0: the ReLU gradient (c = 4). */
  reluGrad(rows: number, c: number, dy: number, x: number, out: number): void;
  /** y[r,j] = max((x[r,j] − μ[j])·a[j] + b[j], 0): affine then ReLU (max keeps NaN, maps −0 to +0, as tf.relu). */
  affineRelu(rows: number, c: number, x: number, y: number, mu: number, a: number, b: number): void;
  /** gradSums of dy' = dy·s(y) (the ReLU gradient through the fused output y). */
  gradSumsRelu(rows: number, c: number, dy: number, y: number, x: number, mu: number, sg: number, sgd: number): void;
  /** gradAffine of dy' = dy·s(y). */
  gradAffineRelu(rows: number, c: number, dy: number, y: number, x: number, dx: number, mu: number, a: number, b: number, k: number): void;
}

// Opcodes (WebAssembly core + SIMD as standardised) beyond the shared ones of wasm-asm.ts.
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22, I32_CONST = 0x41;
const I32_ADD = 0x6a, I32_MUL = 0x6c, I32_SHL = 0x74, I32_LT_U = 0x49, I32_GE_U = 0x4f;
const BLOCK = 0x02;
const LOAD = [0xfd, 0x00, 0x00, 0x00]; // v128.load align=1 offset=0
const STORE = [0xfd, 0x0b, 0x00, 0x00]; // v128.store
const F_MAX = [0xfd, 0xe9, 0x01];

/**
 * One function over rows × channels: params (rows, c, ...pointers), locals o (byte offset of the
 * element), j (byte offset of its channel), cb (row bytes), end, and two v128 scratch registers.
 * `body(at)` emits one 4-float step; `at(p, perChannel)` pushes pointer param p + o (or + j).
 */
function rowsLoop(pointers: number, body: (at: (p: number, perChannel: boolean) => number[], v: number, w: number) => number[]): { params: number; code: number[] } {
  const params = 2 + pointers;
  const o = params, j = params + 1, cb = params + 2, end = params + 3, v = params + 4, w = params + 5;
  const at = (p: number, perChannel: boolean) => [LOCAL_GET, 2 + p, LOCAL_GET, perChannel ? j : o, I32_ADD];
  const code = [
    ...vec([[4, I32], [2, V128]].map((g) => [...uleb(g[0]!), g[1]!])),
    LOCAL_GET, 1, I32_CONST, 2, I32_SHL, LOCAL_SET, cb,
    LOCAL_GET, 0, LOCAL_GET, cb, I32_MUL, LOCAL_SET, end,
    I32_CONST, 0, LOCAL_SET, o,
    BLOCK, VOID,
    LOCAL_GET, o, LOCAL_GET, end, I32_GE_U, BR_IF, 0,
    LOOP, VOID,
    I32_CONST, 0, LOCAL_SET, j,
    LOOP, VOID,
    ...body(at, v, w),
    LOCAL_GET, o, I32_CONST, 16, I32_ADD, LOCAL_SET, o,
    LOCAL_GET, j, I32_CONST, 16, I32_ADD, LOCAL_TEE, j, LOCAL_GET, cb, I32_LT_U, BR_IF, 0,
    END,
    LOCAL_GET, o, LOCAL_GET, end, I32_LT_U, BR_IF, 0,
    END,
    END,
    END,
  ];
  return { params, code };
}

/** acc[j] += value: the store address, then the loaded accumulator plus `value`. */
const accumulate = (addr: number[], value: number[]) => [...addr, ...addr, ...LOAD, ...value, ...F_ADD, ...STORE];

/**
 * Sets local `v` to dy·s(y) (dy, y: v128 pushers; `w` scratch): the ReLU gradient's product, as
 * reluGrad computes it, so fused and separate paths give the same bits.
 */
const reluMasked = (dy: number[], y: number[], v: number, w: number) => [
  ...y, LOCAL_SET, w,
  ...ONE, ...ZERO, LOCAL_GET, w, ...ZERO, ...F_GT, ...BITSELECT,
  LOCAL_SET, v,
  ...QNAN, LOCAL_GET, v, LOCAL_GET, w, LOCAL_GET, w, ...F_NE, ...BITSELECT, LOCAL_SET, v,
  ...dy, LOCAL_GET, v, ...F_MUL, LOCAL_SET, v,
];

const FUNCTIONS: [keyof SimdLoops, ReturnType<typeof rowsLoop>][] = [
  // pointers: x 0, k 1, s 2, q 3
  ['sums', rowsLoop(4, (at, v) => [
    ...at(0, false), ...LOAD, ...at(1, true), ...LOAD, ...F_SUB, LOCAL_SET, v,
    ...accumulate(at(2, true), [LOCAL_GET, v]),
    ...accumulate(at(3, true), [LOCAL_GET, v, LOCAL_GET, v, ...F_MUL]),
  ])],
  // pointers: dy 0, x 1, mu 2, sg 3, sgd 4
  ['gradSums', rowsLoop(5, (at, v) => [
    ...at(0, false), ...LOAD, LOCAL_SET, v,
    ...accumulate(at(3, true), [LOCAL_GET, v]),
    ...accumulate(at(4, true), [LOCAL_GET, v, ...at(1, false), ...LOAD, ...at(2, true), ...LOAD, ...F_SUB, ...F_MUL]),
  ])],
  // pointers: x 0, y 1, mu 2, a 3, b 4
  ['affine', rowsLoop(5, (at) => [
    ...at(1, false),
    ...at(0, false), ...LOAD, ...at(2, true), ...LOAD, ...F_SUB, ...at(3, true), ...LOAD, ...F_MUL, ...at(4, true), ...LOAD, ...F_ADD,
    ...STORE,
  ])],
  // pointers: dy 0, x 1, dx 2, mu 3, a 4, b 5, k 6
  ['gradAffine', rowsLoop(7, (at) => [
    ...at(2, false),
    ...at(0, false), ...LOAD, ...at(4, true), ...LOAD, ...F_MUL,
    ...at(1, false), ...LOAD, ...at(3, true), ...LOAD, ...F_SUB, ...at(5, true), ...LOAD, ...F_MUL, ...F_ADD,
    ...at(6, true), ...LOAD, ...F_ADD,
    ...STORE,
  ])],
  // pointers: dy 0, x 1, out 2. tfjs's ReLU gradient is dy · cast(step(x)): the same product.
  ['reluGrad', rowsLoop(3, (at, v, w) => [
    ...at(2, false),
    ...at(0, false), ...LOAD,
    ...at(1, false), ...LOAD, LOCAL_SET, v,
    ...ONE, ...ZERO, LOCAL_GET, v, ...ZERO, ...F_GT, ...BITSELECT, LOCAL_SET, w,
    ...QNAN, LOCAL_GET, w, LOCAL_GET, v, LOCAL_GET, v, ...F_NE, ...BITSELECT,
    ...F_MUL,
    ...STORE,
  ])],
  // pointers: x 0, y 1, mu 2, a 3, b 4
  ['affineRelu', rowsLoop(5, (at) => [
    ...at(1, false),
    ...at(0, false), ...LOAD, ...at(2, true), ...LOAD, ...F_SUB, ...at(3, true), ...LOAD, ...F_MUL, ...at(4, true), ...LOAD, ...F_ADD,
    ...ZERO, ...F_MAX,
    ...STORE,
  ])],
  // pointers: dy 0, y 1, x 2, mu 3, sg 4, sgd 5
  ['gradSumsRelu', rowsLoop(6, (at, v, w) => [
    ...reluMasked([...at(0, false), ...LOAD], [...at(1, false), ...LOAD], v, w),
    ...accumulate(at(4, true), [LOCAL_GET, v]),
    ...accumulate(at(5, true), [LOCAL_GET, v, ...at(2, false), ...LOAD, ...at(3, true), ...LOAD, ...F_SUB, ...F_MUL]),
  ])],
  // pointers: dy 0, y 1, x 2, dx 3, mu 4, a 5, b 6, k 7
  ['gradAffineRelu', rowsLoop(8, (at, v, w) => [
    ...reluMasked([...at(0, false), ...LOAD], [...at(1, false), ...LOAD], v, w),
    ...at(3, false),
    LOCAL_GET, v, ...at(5, true), ...LOAD, ...F_MUL,
    ...at(2, false), ...LOAD, ...at(4, true), ...LOAD, ...F_SUB, ...at(6, true), ...LOAD, ...F_MUL, ...F_ADD,
    ...at(7, true), ...LOAD, ...F_ADD,
    ...STORE,
  ])],
];

/** The module's bytes, importing env.memory (shared when the backend's memory is, as threaded wasm's is). */
function moduleBytes(shared: boolean): Uint8Array {
  const types = FUNCTIONS.map(([, f]) => [0x60, ...uleb(f.params), ...Array<number>(f.params).fill(I32), 0]);
  // Limits: min 1 page; a shared memory must declare a maximum (wasm32's whole range).
  const limits = shared ? [0x03, 1, ...uleb(65536)] : [0x00, 1];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...str('env'), ...str('memory'), 0x02, ...limits]])),
    ...section(3, vec(FUNCTIONS.map((_, i) => uleb(i)))),
    ...section(7, vec(FUNCTIONS.map(([name], i) => [...str(name), 0x00, ...uleb(i)]))),
    ...section(10, vec(FUNCTIONS.map(([, f]) => [...uleb(f.code.length), ...f.code]))),
  ];
  return Uint8Array.from(bytes);
}

const instances = new WeakMap<object, SimdLoops | null>();

/**
 * The loops on the memory of a wasm backend object (its emscripten module holds the Memory: the
 * single-threaded build exports it, the threaded build imports a shared one). Null when it cannot
 * be found or the runtime lacks SIMD, so callers fall back to JS loops.
 */
export function simdLoopsFor(backend: any): SimdLoops | null {
  const memory = backend?.wasm?.wasmMemory ?? backend?.wasm?.asm?.memory;
  if (!memory) return null;
  if (!instances.has(memory)) {
    const shared = memory.buffer.constructor.name === 'SharedArrayBuffer';
    let loops: SimdLoops | null = null;
    try {
      loops = new WA.Instance(new WA.Module(moduleBytes(shared)), { env: { memory } }).exports as unknown as SimdLoops;
    } catch {
      // A runtime without WebAssembly SIMD: the JS loops serve (slower, same results).
    }
    instances.set(memory, loops);
  }
  return instances.get(memory) ?? null;
}

/**
 * Direct WebAssembly SIMD kernels for the lab-scale ConvNet's small layers (few channels: conv1
 * 1→8 at 28×28, conv2 8→16 at 14×14), generated per layer shape and instantiated on the wasm
 * backend's own memory (as simd.ts is). At these shapes our filter gradient (im2colᵀ, then a
 * matmul that repacks dy on every call) ran at 11–15 GFLOP/s and the max-pool gradient (six
 * elementwise kernels) took 0.9–1.4 ms a call: the work is a few MFLOP, so layout passes and
 * repacking cost as much as the arithmetic. (A direct forward, generated the same way, only
 * matched XNNPACK's 10–25 GFLOP/s on conv1 and lost on conv2, so the forward stays XNNPACK's.)
 *
 * Every size but the batch is a constant of the generated code: loops have fixed trip counts,
 * every tap of the filter is an immediate load offset, and the output channels (a multiple of 4)
 * sit in SIMD registers. The input is copied into a zero-padded buffer when the convolution pads,
 * so no loop tests a border.
 *  - filter gradient: per group of taps, a pass over all output pixels summing x_tap · dy in
 *    registers, then one store of the group's rows of dW;
 *  - 2×2/2 max-pool gradient: one pass, dx = dy − dy·step(y − x), the same float operations as
 *    the elementwise path it replaces (kernels/index.ts), so bit for bit its results.
 * Every generated loop is a do-while: callers pass at least one image (n ≥ 1).
 * Sums run in float32 in a fixed order: deterministic, but not the order of XNNPACK's matmul, so
 * filter gradients differ from the former kernel's in the last bits.
 */

import { BITSELECT, BR_IF, END, F_ADD, F_GT, F_MUL, F_NE, F_SUB, I32, LOOP, ONE, QNAN, section, splat4, str, uleb, V128, vec, VOID, ZERO } from './wasm-asm.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
const WA = (globalThis as any).WebAssembly as {
  Module: new (bytes: Uint8Array) => unknown;
  Instance: new (module: unknown, imports: unknown) => { exports: Record<string, (...a: number[]) => void> };
};

// --- a minimal assembler (WebAssembly core + fixed-width SIMD; the shared pieces in wasm-asm.ts) ---
const GET = 0x20, SET = 0x21, TEE = 0x22, CONST = 0x41, ADD = 0x6a, LT_U = 0x49;

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}
const get = (l: number) => [GET, ...uleb(l)];
const set = (l: number) => [SET, ...uleb(l)];
const i32 = (n: number) => [CONST, ...sleb(n)];
/** Address on the stack → v128 loaded from address + off. */
const load = (off: number) => [0xfd, 0x00, 0, ...uleb(off)];
/** Address on the stack → the float32 at address + off in all four lanes. */
const loadSplat = (off: number) => [0xfd, 0x09, 0, ...uleb(off)];
/** Address, value on the stack → stored at address + off. */
const store = (off: number) => [0xfd, 0x0b, 0, ...uleb(off)];
/** l += k (i32). */
const bump = (l: number, k: number) => [...get(l), ...i32(k), ADD, ...set(l)];
/** do { body } while (++c < count): count ≥ 1; `limit` pushes the count. */
const doTimes = (c: number, limit: number[], body: number[]) => [
  ...i32(0), ...set(c),
  LOOP, VOID, ...body, ...get(c), ...i32(1), ADD, TEE, ...uleb(c), ...limit, LT_U, BR_IF, 0, END,
];

/** A function: i32 params, `ni` i32 locals and `nv` v128 locals after them, and its body. */
interface Fn {
  params: number;
  ni: number;
  nv: number;
  code: number[];
}

function moduleBytes(fn: Fn, shared: boolean): Uint8Array {
  const limits = shared ? [0x03, 1, ...uleb(65536)] : [0x00, 1];
  const locals = vec([[...uleb(fn.ni), I32], [...uleb(fn.nv), V128]]);
  const body = [...locals, ...fn.code, END];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...uleb(fn.params), ...Array<number>(fn.params).fill(I32), 0]])),
    ...section(2, vec([[...str('env'), ...str('memory'), 0x02, ...limits]])),
    ...section(3, vec([uleb(0)])),
    ...section(7, vec([[...str('run'), 0x00, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

/** Instantiated functions per backend memory and shape key; null where SIMD is unavailable. */
const compiled = new WeakMap<object, Map<string, ((...a: number[]) => void) | null>>();
/** Calls of each generated kernel by shape key, in this process (tests check which path ran). */
const calls = new Map<string, number>();

/** The shape keys of the kernels generated for this backend's memory. */
export function directKernelsCompiled(backend: any): string[] {
  const byKey = compiled.get(memoryOf(backend));
  return byKey ? [...byKey].filter(([, f]) => f).map(([k]) => k) : [];
}

/** Calls of the generated kernels so far, by shape key. */
export function directKernelCalls(): Map<string, number> {
  return new Map(calls);
}

function memoryOf(backend: any): any {
  return backend?.wasm?.wasmMemory ?? backend?.wasm?.asm?.memory ?? null;
}

function instantiate(backend: any, key: string, build: () => Fn): ((...a: number[]) => void) | null {
  const memory = memoryOf(backend);
  if (!memory) return null;
  let byKey = compiled.get(memory);
  if (!byKey) compiled.set(memory, (byKey = new Map()));
  if (!byKey.has(key)) {
    const shared = memory.buffer.constructor.name === 'SharedArrayBuffer';
    let fn: ((...a: number[]) => void) | null = null;
    try {
      const run = new WA.Instance(new WA.Module(moduleBytes(build(), shared)), { env: { memory } }).exports.run!;
      fn = (...a: number[]) => {
        calls.set(key, (calls.get(key) ?? 0) + 1);
        run(...a);
      };
    } catch {
      // No WebAssembly SIMD here: the callers keep the former kernels.
    }
    byKey.set(key, fn);
  }
  return byKey.get(key) ?? null;
}

/** Geometry of a convolution over a (padded) source buffer of srcH × srcW pixels. */
export interface DirectConvGeom {
  inC: number;
  outC: number;
  outH: number;
  outW: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  /** Pixel rows and columns of the source buffer the taps read (the padded input). */
  srcH: number;
  srcW: number;
}

const geomKey = (g: DirectConvGeom) => [g.inC, g.outC, g.outH, g.outW, g.kH, g.kW, g.strideH, g.strideW, g.srcH, g.srcW].join(',');

/** Byte offset of tap t = (ky·kW + kx)·C_in + ci from its window's top-left source pixel. */
function tapOffset(g: DirectConvGeom, t: number): number {
  const ci = t % g.inC;
  const k = (t - ci) / g.inC;
  const kx = k % g.kW;
  const ky = (k - kx) / g.kW;
  return ((ky * g.srcW + kx) * g.inC + ci) * 4;
}

/**
 * The loops over images (runtime count, param `nParam`), output rows and output pixels (P at a
 * time) with the source pointer `px` at each window's top-left and `perPixel` emitted per step.
 * i32 locals used: pimg, prow, px and three counters (given as base..base+5).
 */
function pixelLoops(g: DirectConvGeom, src: number, nParam: number, base: number, P: number, perPixel: number[]): number[] {
  const [pimg, prow, px, cn, cy, cx] = [base, base + 1, base + 2, base + 3, base + 4, base + 5];
  const pix = g.strideW * g.inC * 4;
  return [
    ...get(src), ...set(pimg),
    ...doTimes(cn, get(nParam), [
      ...get(pimg), ...set(prow),
      ...doTimes(cy, i32(g.outH), [
        ...get(prow), ...set(px),
        ...doTimes(cx, i32(g.outW / P), [...perPixel, ...bump(px, P * pix)]),
        ...bump(prow, g.strideH * g.srcW * g.inC * 4),
      ]),
      ...bump(pimg, g.srcH * g.srcW * g.inC * 4),
    ]),
  ];
}


/** SIMD registers a generated loop may keep live (x64 has 16; one is left for V8's own use). */
const REGISTERS = 15;

/** Taps whose sums one pass over the output pixels keeps in registers (with dy's row and a splat). */
function tapsPerPass(g: DirectConvGeom): number {
  const nv = g.outC / 4;
  return Math.max(1, Math.floor((REGISTERS - nv - 1) / nv));
}

/**
 * filterGrad(src, dy, dw, n): dw[tap, :] += Σ_pixels src[window + tap] · dy[pixel, :] over n images.
 * Each group's sums start from dw's stored values, so calls over consecutive chunks of images
 * (dw zeroed first) add in exactly the order of one call over all of them.
 */
function buildFilterGrad(g: DirectConvGeom): Fn {
  const nv = g.outC / 4;
  const taps = g.kH * g.kW * g.inC;
  const G = Math.min(taps, tapsPerPass(g));
  // params: src 0, dy 1, dw 2, n 3; i32 locals 4..10 (pdy = 10); v128: acc G·nv, dy row nv, splat 1.
  const pdy = 10;
  const acc = (t: number, j: number) => 11 + t * nv + j;
  const d = (j: number) => 11 + G * nv + j;
  const v = 11 + G * nv + nv;
  const code: number[] = [];
  for (let t0 = 0; t0 < taps; t0 += G) {
    const group = Math.min(G, taps - t0);
    for (let t = 0; t < group; t++) for (let j = 0; j < nv; j++) code.push(...get(2), ...load(((t0 + t) * g.outC + 4 * j) * 4), ...set(acc(t, j)));
    const body: number[] = [];
    for (let j = 0; j < nv; j++) body.push(...get(pdy), ...load(16 * j), ...set(d(j)));
    for (let t = 0; t < group; t++) {
      body.push(...get(6), ...loadSplat(tapOffset(g, t0 + t)), ...set(v));
      for (let j = 0; j < nv; j++) body.push(...get(acc(t, j)), ...get(v), ...get(d(j)), ...F_MUL, ...F_ADD, ...set(acc(t, j)));
    }
    body.push(...bump(pdy, g.outC * 4));
    code.push(...get(1), ...set(pdy), ...pixelLoops(g, 0, 3, 4, 1, body));
    for (let t = 0; t < group; t++) for (let j = 0; j < nv; j++) code.push(...get(2), ...get(acc(t, j)), ...store(((t0 + t) * g.outC + 4 * j) * 4));
  }
  return { params: 4, ni: 7, nv: G * nv + nv + 1, code };
}

type Shape = { inC: number; outC: number; kH: number; kW: number };

/** Whether the direct filter gradient serves a convolution of this shape (the lab's small layers). */
export function directFilterGradFits(g: Shape): boolean {
  return g.outC % 4 === 0 && g.outC <= 16 && g.inC <= 16 && g.kH * g.kW <= 25;
}

/**
 * Images per call of the filter gradient: each call makes ~36 passes over its images' dy (conv2:
 * 72 taps, 2 per pass), so a chunk's dy and x should stay in cache (~128 KB) across them.
 */
export function filterGradChunk(g: DirectConvGeom): number {
  const bytes = (g.outH * g.outW * g.outC + g.srcH * g.srcW * g.inC) * 4;
  return Math.max(1, Math.floor((128 * 1024) / bytes));
}

/** The generated filter gradient for `g`, or null without SIMD: f(src, dy, dw, n), byte pointers, adding into dw. */
export function directConvFilterGrad(backend: any, g: DirectConvGeom): ((src: number, dy: number, dw: number, n: number) => void) | null {
  return instantiate(backend, `dw:${geomKey(g)}`, () => buildFilterGrad(g));
}

/**
 * 2×2 stride-2 max-pool gradient over an even h × w × c input (c a multiple of 4):
 * f(x, y, dy, dx, n), byte pointers; dx = dy − dy·s with s = step(y − x) (1 above 0, NaN for
 * NaN, else 0), each dy spread over its window.
 */
export function directMaxPoolGrad(backend: any, h: number, w: number, c: number): ((x: number, y: number, dy: number, dx: number, n: number) => void) | null {
  return instantiate(backend, `mpg:${h},${w},${c}`, () => {
    // params: x 0, y 1, dy 2, dx 3, n 4; i32 locals: prow 5, px (x and dx offset) 6, po (y, dy offset) 7, counters 8, 9;
    // v128: y 10, dy 11, gap 12, s 13.
    const [prow, px, po, cr, cx] = [5, 6, 7, 8, 9];
    const [yv, dv, gap, s] = [10, 11, 12, 13];
    const offs = [0, c * 4, w * c * 4, (w + 1) * c * 4];
    const perPixel: number[] = [];
    for (let j = 0; j < c / 4; j++) {
      perPixel.push(...get(1), ...get(po), ADD, ...load(16 * j), ...set(yv));
      perPixel.push(...get(2), ...get(po), ADD, ...load(16 * j), ...set(dv));
      for (const off of offs) {
        perPixel.push(
          ...get(yv), ...get(0), ...get(px), ADD, ...load(off + 16 * j), ...F_SUB, ...set(gap),
          ...ONE, ...ZERO, ...get(gap), ...ZERO, ...F_GT, ...BITSELECT, ...set(s),
          ...QNAN, ...get(s), ...get(gap), ...get(gap), ...F_NE, ...BITSELECT, ...set(s),
          ...get(3), ...get(px), ADD,
          ...get(dv), ...get(dv), ...get(s), ...F_MUL, ...F_SUB,
          ...store(off + 16 * j),
        );
      }
    }
    const code = [
      ...i32(0), ...set(prow), ...i32(0), ...set(po),
      // Rows of windows over all images: n · h/2 of them, each 2 input rows.
      ...doTimes(cr, [...get(4), ...i32(h / 2), 0x6c], [
        ...get(prow), ...set(px),
        ...doTimes(cx, i32(w / 2), [...perPixel, ...bump(px, 2 * c * 4), ...bump(po, c * 4)]),
        ...bump(prow, 2 * w * c * 4),
      ]),
    ];
    return { params: 5, ni: 5, nv: 4, code };
  });
}

const F_DIV = [0xfd, 0xe7, 0x01];
/** Channel vectors a spatial-mean pass keeps in registers. */
const MEAN_CHUNK = 8;

/**
 * Mean over the h·w pixels of each image, c channels (a multiple of 4): f(x, y, n), byte pointers.
 * Per channel the sum starts at 0 and adds the pixels in order, then is divided by h·w: the
 * float operations of wasm's Mean kernel (after its transpose), so bit for bit its result.
 */
export function directSpatialMean(backend: any, hw: number, c: number): ((x: number, y: number, n: number) => void) | null {
  return instantiate(backend, `mean:${hw},${c}`, () => {
    // params: x 0, y 1, n 2; i32 locals: pimg 3, px 4, counters 5, 6, py 7; v128: acc 8.. (MEAN_CHUNK).
    const [pimg, px, cn, cp, py] = [3, 4, 5, 6, 7];
    const code: number[] = [...get(0), ...set(pimg), ...get(1), ...set(py)];
    const perImage: number[] = [];
    for (let j0 = 0; j0 < c / 4; j0 += MEAN_CHUNK) {
      const k = Math.min(MEAN_CHUNK, c / 4 - j0);
      for (let j = 0; j < k; j++) perImage.push(...ZERO, ...set(8 + j));
      perImage.push(...get(pimg), ...set(px));
      const step: number[] = [];
      for (let j = 0; j < k; j++) step.push(...get(8 + j), ...get(px), ...load(16 * (j0 + j)), ...F_ADD, ...set(8 + j));
      perImage.push(...doTimes(cp, i32(hw), [...step, ...bump(px, c * 4)]));
      for (let j = 0; j < k; j++) perImage.push(...get(py), ...get(8 + j), ...splat4(f32Bits(hw)), ...F_DIV, ...store(16 * (j0 + j)));
    }
    code.push(...doTimes(cn, get(2), [...perImage, ...bump(pimg, hw * c * 4), ...bump(py, c * 4)]));
    return { params: 3, ni: 5, nv: MEAN_CHUNK, code };
  });
}

/**
 * The spatial mean's gradient: dx[n, p, :] = dy[n, :] / (h·w) for every pixel p: f(dy, dx, n).
 * tfjs's gradient is (dy · 1) / (h·w) with the same division, so bit for bit its result.
 */
export function directSpatialMeanGrad(backend: any, hw: number, c: number): ((dy: number, dx: number, n: number) => void) | null {
  return instantiate(backend, `meangrad:${hw},${c}`, () => {
    // params: dy 0, dx 1, n 2; i32 locals: pdy 3, pimg 4, px 5, counters 6, 7; v128: values 8.. (MEAN_CHUNK).
    const [pdy, pimg, px, cn, cp] = [3, 4, 5, 6, 7];
    const perImage: number[] = [];
    for (let j0 = 0; j0 < c / 4; j0 += MEAN_CHUNK) {
      const k = Math.min(MEAN_CHUNK, c / 4 - j0);
      for (let j = 0; j < k; j++) perImage.push(...get(pdy), ...load(16 * (j0 + j)), ...splat4(f32Bits(hw)), ...F_DIV, ...set(8 + j));
      perImage.push(...get(pimg), ...set(px));
      const step: number[] = [];
      for (let j = 0; j < k; j++) step.push(...get(px), ...get(8 + j), ...store(16 * (j0 + j)));
      perImage.push(...doTimes(cp, i32(hw), [...step, ...bump(px, c * 4)]));
    }
    const code = [...get(0), ...set(pdy), ...get(1), ...set(pimg),
      ...doTimes(cn, get(2), [...perImage, ...bump(pdy, c * 4), ...bump(pimg, hw * c * 4)])];
    return { params: 3, ni: 5, nv: MEAN_CHUNK, code };
  });
}

/** The bit pattern of a number as float32. */
function f32Bits(v: number): number {
  return new Uint32Array(Float32Array.of(v).buffer)[0]!;
}

/**
 * 2×2 stride-2 max-pool over an even h × w × c input (c a multiple of 4): f(x, y, n), byte
 * pointers; y = max(max(x00, x01), max(x10, x11)) per channel (wasm's max: NaN wins, +0 over −0).
 */
export function directMaxPool(backend: any, h: number, w: number, c: number): ((x: number, y: number, n: number) => void) | null {
  return instantiate(backend, `mp:${h},${w},${c}`, () => {
    // params: x 0, y 1, n 2; i32 locals: prow 3, px 4, py 5, counters 6, 7.
    const [prow, px, py, cr, cx] = [3, 4, 5, 6, 7];
    const F_MAX = [0xfd, 0xe9, 0x01];
    const perPixel: number[] = [];
    for (let j = 0; j < c / 4; j++) {
      const at = (off: number) => [...get(px), ...load(off + 16 * j)];
      perPixel.push(
        ...get(py),
        ...at(0), ...at(c * 4), ...F_MAX,
        ...at(w * c * 4), ...at((w + 1) * c * 4), ...F_MAX,
        ...F_MAX,
        ...store(16 * j),
      );
    }
    const code = [
      ...get(0), ...set(prow), ...get(1), ...set(py),
      ...doTimes(cr, [...get(2), ...i32(h / 2), 0x6c], [
        ...get(prow), ...set(px),
        ...doTimes(cx, i32(w / 2), [...perPixel, ...bump(px, 2 * c * 4), ...bump(py, c * 4)]),
        ...bump(prow, 2 * w * c * 4),
      ]),
    ];
    return { params: 3, ni: 5, nv: 0, code };
  });
}

/** Where a convolution's input goes in its zero-padded copy: sizes in pixels, the copy already zeroed. */
export interface PadGeom {
  inH: number;
  inW: number;
  c: number;
  /** Rows and columns of the padded copy. */
  outH: number;
  outW: number;
  top: number;
  left: number;
}

/**
 * Copies each image's rows into the zeroed padded buffer (one memory.copy a row, the part that
 * fits): f(x, padded, n), byte pointers. Null where no row or column fits (nothing to copy).
 */
export function directPad(backend: any, g: PadGeom): ((x: number, padded: number, n: number) => void) | null {
  const rows = Math.min(g.inH, g.outH - g.top);
  const cols = Math.min(g.inW, g.outW - g.left);
  if (rows < 1 || cols < 1) return null;
  return instantiate(backend, `pad:${[g.inH, g.inW, g.c, g.outH, g.outW, g.top, g.left].join(',')}`, () => {
    // params: x 0, padded 1, n 2; i32 locals: source image 3, target image 4, source row 5, target row 6, counters 7, 8.
    const [si, ti, sr, tr, cn, cy] = [3, 4, 5, 6, 7, 8];
    const MEMORY_COPY = [0xfc, 0x0a, 0x00, 0x00];
    const code = [
      ...get(0), ...set(si),
      ...get(1), ...i32((g.top * g.outW + g.left) * g.c * 4), ADD, ...set(ti),
      ...doTimes(cn, get(2), [
        ...get(si), ...set(sr), ...get(ti), ...set(tr),
        ...doTimes(cy, i32(rows), [
          ...get(tr), ...get(sr), ...i32(cols * g.c * 4), ...MEMORY_COPY,
          ...bump(sr, g.inW * g.c * 4), ...bump(tr, g.outW * g.c * 4),
        ]),
        ...bump(si, g.inH * g.inW * g.c * 4), ...bump(ti, g.outH * g.outW * g.c * 4),
      ]),
    ];
    return { params: 3, ni: 6, nv: 0, code };
  });
}

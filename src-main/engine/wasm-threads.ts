/**
 * tfjs-backend-wasm's threaded SIMD build (XNNPACK with its pthread pool) in Node's own workers.
 *
 * tfjs turns this build off under Node and, in the browser, hands emscripten's glue Blob URLs that
 * `worker_threads` cannot load. The glue itself supports Node's workers: we load it from the
 * package's wasm-out folder and give it real files (its pthread worker script, the glue as the
 * workers' main script).
 *
 * Why the pool stayed at one thread before: the C++ side caps the pool at
 * emscripten_num_logical_cores() / 2 (it assumes two hardware threads per core), whatever count is
 * asked for, so on a 2-core machine every request became 1. We answer that import with twice the
 * count we want, so the cap is exactly the requested count (XNNPACK's own upper bound is 8).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { MAX_WASM_THREADS } from '../common/backends.ts';

const require = createRequire(import.meta.url);

/* eslint-disable @typescript-eslint/no-explicit-any */
/** The emscripten module object tfjs's BackendWasm expects (with its `tfjs` cwraps). */
export type WasmModule = any;

let filesDir: string | null = null;
const POOL_SIZE = 'var pthreadPoolSize=8;';

/**
 * The two files the pthread workers need, in a private folder of this process (removed at exit):
 * worker_threads cannot start from a Blob URL, and the package may sit inside an asar archive.
 */
function workerFiles(pkgDir: string): { worker: string; glue: string } {
  if (!filesDir) {
    const dir = mkdtempSync(join(tmpdir(), 'dplab-wasm-'));
    const { wasmWorkerContents } = require(join(pkgDir, 'wasm-out/tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
    // The worker source sits in a template literal, so its "\n" escapes arrived as real newlines
    // inside string literals; the script is one line otherwise, so every newline is such a one.
    writeFileSync(join(dir, 'pthread-worker.cjs'), wasmWorkerContents.replace(/\n/g, '\\n'));
    // The glue starts 8 workers up front (~250 ms of CPU each); the pool needs threads − 1 of
    // them (the calling thread is one of the pool's), so the count comes from the module options.
    const glue = readFileSync(join(pkgDir, 'wasm-out/tfjs-backend-wasm-threaded-simd.js'), 'utf8');
    writeFileSync(join(dir, 'glue.js'), glue.replace(POOL_SIZE, 'var pthreadPoolSize=Module["dplabPoolSize"]||8;'));
    filesDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return { worker: join(filesDir, 'pthread-worker.cjs'), glue: join(filesDir, 'glue.js') };
}

/**
 * Instantiates the threaded SIMD module whose pool will hold `threads` threads (the caller
 * creates BackendWasm with setThreadsCount(threads)). Workers the pool does not need are ended
 * once the backend exists (see trimIdleWorkers).
 */
export async function loadThreadedWasm(threads: number): Promise<WasmModule> {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
    throw new Error(`wasm threads must be an integer from 1 to ${MAX_WASM_THREADS}, got ${threads}`);
  }
  const pkgDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const wasmFile = join(pkgDir, 'dist', 'tfjs-backend-wasm-threaded-simd.wasm');
  const files = workerFiles(pkgDir);
  const factory = require(files.glue) as (cfg: Record<string, unknown>) => Promise<WasmModule>;
  let failure: string | null = null;
  // The glue adds process-wide handlers that rethrow every uncaught exception and rejection;
  // the trainer has its own error reporting, so those handlers are taken off again.
  const before = { uncaughtException: process.listeners('uncaughtException'), unhandledRejection: process.listeners('unhandledRejection') };
  const mod = await factory({
    mainScriptUrlOrBlob: files.glue,
    dplabPoolSize: threads - 1,
    locateFile: (path: string, prefix: string) =>
      path.endsWith('.worker.js') ? files.worker : path.endsWith('.wasm') ? wasmFile : prefix + path,
    instantiateWasm: (info: { env: Record<string, unknown> }, receive: (instance: unknown, module: unknown) => void) => {
      info.env.emscripten_num_logical_cores = () => 2 * threads;
      // (Node's WebAssembly global; the project's TypeScript libs do not declare it.)
      const wa = (globalThis as any).WebAssembly as { instantiate(b: Uint8Array, i: unknown): Promise<{ instance: unknown; module: unknown }> };
      wa.instantiate(readFileSync(wasmFile), info).then(
        (r) => receive(r.instance, r.module),
        (e: Error) => (failure = e.message),
      );
      return {};
    },
    onAbort: (what: unknown) => (failure ??= String(what)),
  });
  for (const l of process.listeners('uncaughtException')) if (!before.uncaughtException.includes(l)) process.off('uncaughtException', l);
  for (const l of process.listeners('unhandledRejection')) if (!before.unhandledRejection.includes(l)) process.off('unhandledRejection', l);
  if (failure) throw new Error(`the threaded wasm module did not start: ${failure}`);
  mod.tfjs = {
    init: mod.cwrap('init', null, []),
    initWithThreadsCount: mod.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: mod.cwrap('get_threads_count', 'number', []),
    registerTensor: mod.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: mod.cwrap('dispose_data', null, ['number']),
    dispose: mod.cwrap('dispose', null, []),
  };
  return mod;
}

/**
 * Ends the pre-created workers the pool did not take, and lets the pool's running workers not
 * keep the process alive (a trainer exits when its work is done, as with one thread).
 */
export function trimIdleWorkers(mod: WasmModule): void {
  const pt = mod.PThread as { unusedWorkers: { terminate(): void }[]; runningWorkers: { unref(): void }[] };
  for (const w of pt.unusedWorkers) w.terminate();
  pt.unusedWorkers.length = 0;
  for (const w of pt.runningWorkers) w.unref();
}

/**
 * Chooses and starts the tfjs backend a training runs on, and describes it for the run's record.
 * Order of preference ('auto'): native TensorFlow with CUDA (tfjs-node-gpu), WebGPU on a hardware
 * adapter (Dawn: Metal, D3D12 or Vulkan), native TensorFlow on the CPU (tfjs-node), wasm (with our
 * training kernels), then the pure-JS cpu backend. A software GPU adapter (SwiftShader, …) is
 * never chosen by 'auto': it is a correctness path, far slower than wasm.
 * tfjs-node and tfjs-node-gpu are optionalDependencies: they fail to install where libtensorflow
 * cannot be downloaded, so their absence is normal and auto mode skips them silently.
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { availableParallelism } from 'node:os';
import { installTrainingKernels } from './kernels/index.ts';
import { startWebgpu, type GpuAdapter } from './webgpu.ts';
import { BACKEND_PREFERENCES, machineCores, parseThreads, threadShare, type BackendKind, type BackendPreference } from '../common/backends.ts';
import { loadThreadedWasm, trimIdleWorkers } from './wasm-threads.ts';

// The names live in common/ so that code which only checks them never loads tfjs.
export { BACKEND_PREFERENCES, type BackendKind, type BackendPreference };

/** tfjs backend names: tfjs-node and tfjs-node-gpu both register 'tensorflow'. */
export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

/** The backend a run uses, recorded with it. */
export interface BackendInfo {
  kind: BackendKind;
  tfBackend: BackendName;
  /** Package versions and backend flags (e.g. 'tfjs-core', 'tfjs-backend-wasm', 'wasm-simd'). */
  versions: Record<string, string>;
  /** webgpu only: the adapter the run trains on. */
  adapter?: GpuAdapter;
  /** auto only: the backends tried before this one, each with why it was passed over. */
  skipped?: { kind: BackendKind; reason: string }[];
  /**
   * Threads the backend computes on: wasm's XNNPACK pool size; 1 for the pure-JS cpu backend;
   * null for native TensorFlow (it sizes its own pools).
   */
  threads: number | null;
}

/** How to start a backend. */
export interface BackendOptions {
  /**
   * Threads for wasm (1 … 8): default, every core this process may use
   * (os.availableParallelism() or DPLAB_CORES, at most 8). Ignored by the other backends.
   */
  threads?: number;
}

/** The default thread count: the cores this process may use, within wasm's pool limit. */
export function defaultThreads(): number {
  return threadShare(machineCores(process.env, availableParallelism()), 1);
}

const require = createRequire(import.meta.url);
let current: BackendInfo | null = null;

function baseVersions(): Record<string, string> {
  const v: Record<string, string> = {};
  for (const [k, val] of Object.entries(tf.version)) v[k] = String(val);
  v.node = process.versions.node;
  return v;
}

/**
 * How to get a native backend working. Its install script downloads libtensorflow, and npm 11 runs
 * no dependency's install script unless package.json's allowScripts lists the package, so a bare
 * `npm install` of it leaves a package that cannot load: the advice names the entry, the npm
 * command that writes it, and the command that then runs the script.
 */
export function nativeInstallAdvice(kind: 'tfjs-node-gpu' | 'tfjs-node'): string {
  const pkg = `@tensorflow/${kind}`;
  return `Allow its install script (it downloads libtensorflow, so it needs internet access): add "${pkg}": true to allowScripts in package.json ` +
    `(npm 11 skips the install scripts of packages not listed there; \`npm install-scripts approve ${pkg}\` writes the entry once it is installed), ` +
    `then run \`npm install ${pkg}@4.22.0\`, or \`npm rebuild ${pkg}\` where it is installed already`;
}

/** Loads a native tfjs-node package; returns null (quietly) when it is not installed or cannot load. */
async function tryNative(kind: 'tfjs-node-gpu' | 'tfjs-node'): Promise<{ info: BackendInfo } | { error: string }> {
  const pkg = `@tensorflow/${kind}`;
  try {
    // A variable specifier keeps TypeScript from requiring the optional package's types.
    const mod = (await import(pkg)) as { version?: Record<string, string> };
    if (!(await tf.setBackend('tensorflow'))) return { error: `${pkg} loaded but the 'tensorflow' backend did not initialise` };
    await tf.ready();
    const versions = baseVersions();
    versions[kind] = String(mod.version?.['tfjs-node'] ?? readPkgVersion(pkg));
    return { info: { kind, tfBackend: 'tensorflow', versions, threads: null } };
  } catch (e) {
    return { error: `${pkg} is not available (${(e as Error).message.split('\n')[0]})` };
  }
}

function readPkgVersion(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The package's own (single-threaded) wasm backend factory, kept to go back to one thread. */
let stockWasmFactory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | null = null;

/**
 * Starts wasm with `threads` threads: one thread uses the package's own SIMD module; more use the
 * threaded SIMD module in Node's workers (wasm-threads.ts). A running wasm backend with another
 * thread count is replaced (its tensors are gone: call before creating any).
 */
async function startWasm(threads: number): Promise<BackendInfo> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // The .wasm binaries ship in the package's dist folder; resolve it rather than hard-code it.
  const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
  wasm.setWasmPaths(dist);
  installTrainingKernels('wasm');
  stockWasmFactory ??= tf.findBackendFactory('wasm');
  // A wasm backend someone started without us is the package's own: one thread.
  // (tf.findBackend would start a registered backend, so the engine's registry is asked.)
  const running = 'wasm' in tf.engine().registry ? (wasmThreads ?? 1) : null;
  if (running !== threads) {
    if (tf.findBackendFactory('wasm')) tf.removeBackend('wasm');
    wasmThreads = null;
    if (threads === 1) {
      if (!stockWasmFactory) throw new Error('the wasm backend is not registered');
      tf.registerBackend('wasm', stockWasmFactory, 2);
    } else {
      const mod = await loadThreadedWasm(threads);
      wasm.setThreadsCount(threads);
      tf.registerBackend('wasm', () => {
        const b = new wasm.BackendWasm(mod);
        trimIdleWorkers(mod);
        return b;
      }, 2);
    }
  }
  if (!(await tf.setBackend('wasm'))) throw new Error(`the wasm backend did not initialise (wasm files looked up in ${dist})`);
  await tf.ready();
  // Asked of the module itself: the package's getThreadsCount() is a global the last
  // constructed backend wrote.
  const actual = (tf.backend() as unknown as { wasm: { tfjs: { getThreadsCount(): number } } }).wasm.tfjs.getThreadsCount();
  if (actual !== threads) throw new Error(`the wasm thread pool has ${actual} threads, ${threads} were asked for`);
  wasmThreads = threads;
  const versions = baseVersions();
  versions['tfjs-backend-wasm'] = wasm.version_wasm;
  versions['wasm-simd'] = String(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  versions['wasm-threads'] = String(threads);
  versions['training-kernels'] = 'dplab';
  return { kind: 'wasm', tfBackend: 'wasm', versions, threads };
}

/** Threads of the wasm backend registered now (null: none started by us yet). */
let wasmThreads: number | null = null;

/** webgpu on Dawn's adapter; `allowFallback` is false under auto (no software adapters). */
async function tryWebgpu(allowFallback: boolean): Promise<{ info: BackendInfo } | { error: string }> {
  try {
    const { adapter, versions } = await startWebgpu({ allowFallback });
    installTrainingKernels('webgpu');
    await tf.ready();
    return { info: { kind: 'webgpu', tfBackend: 'webgpu', versions: { ...baseVersions(), ...versions }, adapter, threads: null } };
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0]! };
  }
}

async function startCpu(): Promise<BackendInfo> {
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
  await tf.ready();
  installTrainingKernels('cpu');
  return { kind: 'cpu', tfBackend: 'cpu', versions: baseVersions(), threads: 1 };
}

/**
 * Starts the preferred backend ('auto': tfjs-node-gpu, webgpu on a hardware adapter, tfjs-node,
 * wasm, cpu, first that works).
 * An explicit preference that cannot start throws, naming what is missing. Calling again with the
 * same preference and thread count returns the running backend.
 */
export async function initBackend(pref: BackendPreference = 'auto', opts: BackendOptions = {}): Promise<BackendInfo> {
  if (!BACKEND_PREFERENCES.includes(pref)) {
    throw new Error(`unknown backend '${String(pref)}': expected one of ${BACKEND_PREFERENCES.join(', ')}`);
  }
  const threads = opts.threads === undefined ? defaultThreads() : parseThreads(opts.threads);
  // auto keeps the running backend, unless that is a software GPU adapter auto would never pick,
  // or wasm on another thread count.
  const keep = pref === current?.kind || (pref === 'auto' && !current?.adapter?.fallback);
  if (current && keep && tf.getBackend() === current.tfBackend && (current.kind !== 'wasm' || current.threads === threads)) return current;
  let info: BackendInfo;
  if (pref === 'tfjs-node-gpu' || pref === 'tfjs-node') {
    const r = await tryNative(pref);
    if ('error' in r) {
      throw new Error(`backend '${pref}' requested but ${r.error}. ${nativeInstallAdvice(pref)}, or choose --backend wasm.`);
    }
    info = r.info;
  } else if (pref === 'webgpu') {
    const r = await tryWebgpu(true);
    if ('error' in r) throw new Error(`backend 'webgpu' requested but ${r.error}. Run \`dplab backends\` to see what loads here, or choose --backend wasm.`);
    info = r.info;
  } else if (pref === 'wasm') {
    info = await startWasm(threads);
  } else if (pref === 'cpu') {
    info = await startCpu();
  } else {
    const skipped: { kind: BackendKind; reason: string }[] = [];
    let found: BackendInfo | null = null;
    for (const [kind, attempt] of [
      ['tfjs-node-gpu', () => tryNative('tfjs-node-gpu')],
      ['webgpu', () => tryWebgpu(false)],
      ['tfjs-node', () => tryNative('tfjs-node')],
    ] as const) {
      const r = await attempt();
      if ('info' in r) {
        found = r.info;
        break;
      }
      skipped.push({ kind, reason: r.error });
    }
    if (!found) {
      try {
        found = await startWasm(threads);
      } catch (e) {
        skipped.push({ kind: 'wasm', reason: (e as Error).message });
        found = await startCpu();
      }
    }
    info = skipped.length ? { ...found, skipped } : found;
  }
  current = info;
  return info;
}

/**
 * WebGPU in Node: Dawn's N-API bindings (npm `webgpu`) under `@tensorflow/tfjs-backend-webgpu`.
 * Dawn drives Metal on macOS, D3D12 on Windows and Vulkan on Linux, so one path reaches the GPUs
 * CUDA never will. Two facts shape this file: the tfjs backend registers itself only when
 * `navigator.gpu` exists at import time (so we set it first and import dynamically), and its
 * `dataSync()` needs `OffscreenCanvas`, which Node lacks (results are read with `await data()`).
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { adapterLabel, type GpuAdapterInfo } from '../common/backends.ts';

/** The GPU adapter a webgpu backend runs on (the shared definition, under the engine's name). */
export type GpuAdapter = GpuAdapterInfo;
export { adapterLabel };

/** Result of looking for an adapter: the adapter, or why there is none. */
export type AdapterProbe = { adapter: GpuAdapter } | { error: string };

const require = createRequire(import.meta.url);

// Minimal structural types of the WebGPU objects we touch (the DOM lib is not in our tsconfig).
interface GpuAdapterLike {
  info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
  features: { has(name: string): boolean };
  limits: Record<string, number>;
  requestDevice(desc?: unknown): Promise<unknown>;
}
interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string; forceFallbackAdapter?: boolean }): Promise<GpuAdapterLike | null>;
}

let dawn: GpuLike | null = null;
let dawnError: string | null = null;

/** Package versions of the webgpu path, recorded with each run. */
export function webgpuVersions(): Record<string, string> {
  const v: Record<string, string> = {};
  for (const pkg of ['webgpu', '@tensorflow/tfjs-backend-webgpu']) {
    try {
      v[pkg === 'webgpu' ? 'webgpu' : 'tfjs-backend-webgpu'] = (require(`${pkg}/package.json`) as { version: string }).version;
    } catch {
      v[pkg] = 'missing';
    }
  }
  return v;
}

/**
 * Loads Dawn once and installs the WebGPU globals (GPUBufferUsage, …) and `navigator.gpu` that
 * tfjs-backend-webgpu expects. Throws, naming the cause, when the addon cannot load.
 */
export async function loadDawn(): Promise<GpuLike> {
  if (dawn) return dawn;
  if (dawnError) throw new Error(dawnError);
  try {
    const mod = (await import('webgpu')) as unknown as { create: (flags: string[]) => GpuLike; globals: Record<string, unknown> };
    Object.assign(globalThis, mod.globals);
    const gpu = mod.create([]);
    // Node 20 has no navigator; Node 21+ has one whose gpu we set beside its other fields.
    const g = globalThis as unknown as { navigator?: Record<string, unknown> };
    if (g.navigator && typeof g.navigator === 'object') {
      Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
    } else {
      Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    }
    dawn = gpu;
    return gpu;
  } catch (e) {
    dawnError = `the Dawn addon (npm package 'webgpu') did not load for ${process.platform}-${process.arch}: ${(e as Error).message.split('\n')[0]}`;
    throw new Error(dawnError, { cause: e });
  }
}

function describe(a: GpuAdapterLike): GpuAdapter {
  const i = a.info;
  return {
    vendor: String(i.vendor ?? ''),
    architecture: String(i.architecture ?? ''),
    device: String(i.device ?? ''),
    description: String(i.description ?? ''),
    fallback: Boolean(i.isFallbackAdapter ?? a.isFallbackAdapter ?? false),
  };
}

/**
 * On Linux, the Vulkan ICD manifests the Vulkan loader would find (its documented search: the
 * VK_ICD_FILENAMES / VK_DRIVER_FILES override, else vulkan/icd.d under the XDG config and data
 * directories and /etc). Empty means no Vulkan driver is installed: Dawn would then only print the
 * loader's "Found no drivers!" warnings on stderr, so the lab says why without loading it.
 */
export function vulkanDrivers(env: NodeJS.ProcessEnv = process.env, exists: (dir: string) => string[] = listJson): string[] {
  const override = env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES;
  if (override) return override.split(':').filter(Boolean);
  const home = env.HOME || homedir();
  const config = [env.XDG_CONFIG_HOME || join(home, '.config'), ...(env.XDG_CONFIG_DIRS || '/etc/xdg').split(':'), '/etc'];
  const data = [env.XDG_DATA_HOME || join(home, '.local/share'), ...(env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':')];
  const dirs = [...config, ...data].filter(Boolean).map((d) => join(d, 'vulkan', 'icd.d'));
  return [...new Set(dirs)].flatMap(exists);
}

function listJson(dir: string): string[] {
  try {
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f)) : [];
  } catch {
    return [];
  }
}

/**
 * Dawn's high-performance adapter. Software adapters are returned too, flagged `fallback`, so
 * the caller decides (auto refuses them; an explicit `--backend webgpu` takes them).
 */
async function requestAdapter(): Promise<GpuAdapterLike | { error: string }> {
  if (process.platform === 'linux' && !dawn && vulkanDrivers().length === 0) {
    return { error: 'no Vulkan driver is installed (no ICD manifest in vulkan/icd.d under /etc, /usr/share or the XDG folders; install your GPU vendor\'s Vulkan driver, or set VK_ICD_FILENAMES)' };
  }
  let gpu: GpuLike;
  try {
    gpu = await loadDawn();
  } catch (e) {
    return { error: (e as Error).message };
  }
  const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!a) {
    const driver = process.platform === 'darwin' ? 'Metal' : process.platform === 'win32' ? 'D3D12' : 'Vulkan (install libvulkan1 and your GPU vendor\'s Vulkan driver)';
    return { error: `Dawn found no GPU adapter: no ${driver} device is available${process.env.VK_ICD_FILENAMES ? ` (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES})` : ''}` };
  }
  return a;
}

/** The adapter webgpu would run on, without starting tfjs (for `dplab backends --quick`). */
export async function probeAdapter(): Promise<AdapterProbe> {
  const a = await requestAdapter();
  return 'error' in a ? a : { adapter: describe(a) };
}

let started: GpuAdapter | null = null;

/**
 * Registers and starts the tfjs 'webgpu' backend on Dawn's adapter. `allowFallback: false` (auto)
 * refuses a software adapter with the reason. The backend is created from the very adapter we
 * describe (our own factory), so what a run records is what it ran on.
 */
export async function startWebgpu(opts: { allowFallback: boolean }): Promise<{ adapter: GpuAdapter; versions: Record<string, string> }> {
  if (started && tf.findBackend('webgpu')) {
    if (started.fallback && !opts.allowFallback) throw new Error(`only a software adapter is available: ${adapterLabel(started)}`);
    if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend did not initialise');
    return { adapter: started, versions: webgpuVersions() };
  }
  const a = await requestAdapter();
  if ('error' in a) throw new Error(a.error);
  const adapter = describe(a);
  if (adapter.fallback && !opts.allowFallback) throw new Error(`only a software adapter is available: ${adapterLabel(adapter)}`);
  // The package registers its factory on import when navigator.gpu is set (loadDawn did that).
  const mod = (await import('@tensorflow/tfjs-backend-webgpu')) as unknown as {
    WebGPUBackend: new (device: unknown, info?: unknown) => tf.KernelBackend;
  };
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', async () => {
    const features: string[] = [];
    if (a.features.has('timestamp-query')) features.push('timestamp-query');
    const l = a.limits;
    const device = await a.requestDevice({
      requiredFeatures: features,
      requiredLimits: {
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxBufferSize: l.maxBufferSize,
        maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      },
    });
    return new mod.WebGPUBackend(device, a.info);
  }, 0);
  if (!(await tf.setBackend('webgpu'))) throw new Error(`the webgpu backend did not initialise on ${adapterLabel(adapter)}`);
  await tf.ready();
  // By default small ops whose inputs were created in JS run on tfjs's cpu kernels: the training
  // step would then hop between CPU and GPU for every small tensor (BN's γ, β, biases).
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  started = adapter;
  return { adapter, versions: webgpuVersions() };
}

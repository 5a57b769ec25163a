/**
 * The names of the training backends, apart from the code that loads them: the CLI and the web
 * server check `--backend` against this list without loading TensorFlow.js. Also the shape of the
 * `dplab backends --json` report, which the service reads from a child process and validates here.
 */
import { z } from 'zod';

/** Which package provides the backend. */
export type BackendKind = 'tfjs-node-gpu' | 'webgpu' | 'tfjs-node' | 'wasm' | 'cpu';

/** What the user asked for: 'auto' picks the fastest available. */
export type BackendPreference = 'auto' | BackendKind;

/** The GPU adapter a webgpu run trains on, as Dawn reports it (recorded with the run). */
export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software adapter (SwiftShader, …): correct but slow; `auto` never picks one. */
  fallback: boolean;
}

/** A short label: "nvidia ampere (NVIDIA GeForce RTX 3060)", "google swiftshader (…) [software]". */
export function adapterLabel(a: GpuAdapterInfo): string {
  const name = [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const extra = a.description && !name.includes(a.description) ? ` (${a.description})` : '';
  return `${name}${extra}${a.fallback ? ' [software]' : ''}`;
}

/** Every accepted preference, for argument parsing and error messages. */
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'];

/** The most threads wasm's XNNPACK pool takes (its C++ cap; the glue pre-creates 8 workers). */
export const MAX_WASM_THREADS = 8;

/**
 * Threads one run gets when `concurrent` runs share `cores` cores: an equal share, at least 1,
 * at most MAX_WASM_THREADS.
 */
export function threadShare(cores: number, concurrent: number): number {
  return Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(cores / Math.max(1, concurrent))));
}

/** Most cores DPLAB_CORES may name. */
const MAX_CORES = 1024;

/**
 * The cores dplab treats as this machine's: `DPLAB_CORES` when set (a shared machine or a test
 * runner that gives each of its lanes one core, as OMP_NUM_THREADS does for OpenMP), else
 * `available` (the caller's os.availableParallelism()). Default thread shares and the default
 * concurrency derive from it; an explicit --threads or --concurrency still wins. A malformed
 * value is an error naming it, not a silent fallback.
 */
export function machineCores(env: Readonly<Record<string, string | undefined>>, available: number): number {
  const raw = env.DPLAB_CORES;
  if (raw === undefined || raw === '') return Math.max(1, available);
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_CORES) throw new Error(`DPLAB_CORES must be an integer from 1 to ${MAX_CORES}, got '${raw}'`);
  return n;
}

/** A thread count from the user (flag or option): an integer 1 … MAX_WASM_THREADS, else an error naming it. */
export function parseThreads(raw: string | number): number {
  const n = typeof raw === 'number' ? raw : /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    throw new Error(`threads must be an integer from 1 to ${MAX_WASM_THREADS}, got '${String(raw)}'`);
  }
  return n;
}

/** Every backend in the order of the `auto` ladder, fastest first. */
export const BACKEND_KINDS = ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'] as const satisfies readonly BackendKind[];

const text = z.string().max(4000);

/** A GPU adapter as the report carries it. */
export const GpuAdapterSchema = z.object({ vendor: text, architecture: text, device: text, description: text, fallback: z.boolean() });

/** The reference step's throughput on one backend (engine/reference-step.ts). */
export const StepRateSchema = z.object({
  batch: z.number().int().positive(),
  /** Timed steps (after the warm-up step, where there is one). */
  steps: z.number().int().positive(),
  msPerStep: z.number().nonnegative(),
  imagesPerSec: z.number().nonnegative(),
  /** The last step's loss; null when not finite (JSON has no NaN). */
  loss: z.number().nullable(),
});

/** One backend as `dplab backends` tells it. */
export const BackendReportSchema = z.object({
  kind: z.enum(BACKEND_KINDS),
  loads: z.boolean(),
  /** Why it does not load (or, for a loading one, a remark such as "software adapter"). */
  reason: text.optional(),
  /** tfjs-node-gpu: what it needs and what was found on this machine. */
  needs: text.optional(),
  found: text.optional(),
  versions: z.record(z.string().max(200), z.string().max(200)).optional(),
  adapter: GpuAdapterSchema.optional(),
  /** The reference step's throughput; absent with --quick or when skipped (see `rateNote`). */
  rate: StepRateSchema.optional(),
  /** Why there is no figure, or what a figure is not (a software adapter's is no speed claim). */
  rateNote: text.optional(),
});

/** The whole `dplab backends --json` report: one entry per backend in ladder order, and auto's choice. */
export const BackendsReportSchema = z.object({
  backends: z.array(BackendReportSchema).max(BACKEND_KINDS.length),
  auto: z.enum(BACKEND_KINDS),
  platform: z.string().max(100),
});

/** One backend of the report. */
export type BackendReport = z.infer<typeof BackendReportSchema>;
/** The `dplab backends` report. */
export type BackendsReport = z.infer<typeof BackendsReportSchema>;
/** A reference-step figure. */
export type StepRate = z.infer<typeof StepRateSchema>;

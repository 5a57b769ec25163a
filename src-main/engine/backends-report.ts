/**
 * `dplab backends`: every training backend, whether it loads here and, if not, exactly why; the
 * GPU adapter of webgpu; which one `auto` picks; and an images/s figure of the reference step
 * (engine/reference-step.ts) for each backend that loads.
 */
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { initBackend, type BackendInfo } from './backend.ts';
import { measureReferenceStep, type StepRate } from './reference-step.ts';
import type { BackendKind, GpuAdapterInfo } from '../spec/backends.ts';

/** One backend as the report tells it. */
export interface BackendReport {
  kind: BackendKind;
  loads: boolean;
  /** Why it does not load (or, for a loading one, a remark such as "software adapter"). */
  reason?: string;
  /** tfjs-node-gpu: what it needs and what was found on this machine. */
  needs?: string;
  found?: string;
  versions?: Record<string, string>;
  adapter?: GpuAdapterInfo;
  /** The reference step's throughput; absent with --quick or when skipped (see `rateNote`). */
  rate?: StepRate;
  rateNote?: string;
}

/** The whole report: one entry per backend, in the auto ladder's order, and auto's choice. */
export interface BackendsReport {
  backends: BackendReport[];
  auto: BackendKind;
  platform: string;
}

/** The ladder of 'auto', fastest first. */
export const LADDER: readonly BackendKind[] = ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'];

/** CUDA/cuDNN libraries the dynamic loader knows of (Linux), from `ldconfig -p`. */
function ldLibraries(): string[] {
  for (const bin of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
    try {
      return execFileSync(bin, ['-p'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] })
        .split('\n')
        .map((l) => l.trim().split(' ')[0] ?? '')
        .filter((n) => /^lib(cudart|cudnn|cublas)\.so/.test(n));
    } catch {
      /* try the next location */
    }
  }
  return [];
}

/** What tfjs-node-gpu 4.22 needs and what this machine has (driver, CUDA runtime, cuDNN). */
export function cudaDiagnosis(): { needs: string; found: string } {
  const needs = 'Linux x64, an NVIDIA driver, CUDA 11.2 (libcudart.so.11.0) and cuDNN 8.1 (libcudnn.so.8), ' +
    'and libtensorflow, which `npm install @tensorflow/tfjs-node-gpu@4.22.0` downloads at install time';
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { needs, found: `${process.platform}-${process.arch}: tfjs-node-gpu does not run here (use webgpu for the GPU)` };
  }
  const parts: string[] = [];
  const driver = existsSync('/proc/driver/nvidia/version')
    ? readFileSync('/proc/driver/nvidia/version', 'utf8').split('\n')[0]!.replace(/\s+/g, ' ').trim()
    : 'no NVIDIA driver (/proc/driver/nvidia/version missing)';
  parts.push(driver);
  const libs = ldLibraries();
  const cudart = libs.filter((l) => l.startsWith('libcudart'));
  const cudnn = libs.filter((l) => l.startsWith('libcudnn'));
  parts.push(cudart.length ? `CUDA runtime ${[...new Set(cudart)].join(', ')}${cudart.includes('libcudart.so.11.0') ? '' : ' (not 11.x)'}` : 'no CUDA runtime (libcudart) known to ldconfig');
  parts.push(cudnn.length ? `cuDNN ${[...new Set(cudnn)].join(', ')}${cudnn.includes('libcudnn.so.8') ? '' : ' (not 8.x)'}` : 'no cuDNN (libcudnn) known to ldconfig');
  return { needs, found: parts.join('; ') };
}

/** Batch of the figure: the reference B = 64, except the pure-JS backend (a step there takes minutes). */
function figureBatch(kind: BackendKind, info: BackendInfo): { batch: number } | { skip: string } {
  if (kind === 'cpu') return { skip: 'skipped: the pure-JS backend needs minutes for one reference step (~0.2 images/s on our machines)' };
  if (info.adapter?.fallback) return { skip: 'skipped: a software adapter needs minutes for one reference step (a correctness path)' };
  return { batch: 64 };
}

/**
 * Tries every backend in turn in this process (each explicitly, so a software adapter still
 * loads and is reported), then says which one auto takes. `quick` skips the figures; `budgetMs`
 * bounds each figure's timed steps (after one warm-up step).
 */
export async function reportBackends(opts: { quick?: boolean; budgetMs?: number; onProgress?: (line: string) => void } = {}): Promise<BackendsReport> {
  const out: BackendReport[] = [];
  for (const kind of LADDER) {
    opts.onProgress?.(`${kind}: loading…`);
    const r: BackendReport = { kind, loads: false };
    if (kind === 'tfjs-node-gpu') Object.assign(r, cudaDiagnosis());
    let info: BackendInfo | null = null;
    try {
      info = await initBackend(kind);
      r.loads = true;
      r.versions = info.versions;
      if (info.adapter) r.adapter = info.adapter;
      if (info.adapter?.fallback) r.reason = 'loads on a software adapter: auto never picks it (correct but far slower than wasm)';
    } catch (e) {
      r.reason = (e as Error).message.split('\n')[0];
    }
    if (info && !opts.quick) {
      const b = figureBatch(kind, info);
      if ('skip' in b) r.rateNote = b.skip;
      else {
        opts.onProgress?.(`${kind}: timing the reference step (B = ${b.batch})…`);
        try {
          r.rate = await measureReferenceStep(b.batch, opts.budgetMs ?? 3000);
        } catch (e) {
          r.rateNote = `the reference step failed: ${(e as Error).message.split('\n')[0]}`;
        }
      }
    }
    out.push(r);
  }
  const auto = out.find((b) => b.loads && !b.adapter?.fallback)?.kind ?? 'cpu';
  return { backends: out, auto, platform: `${process.platform}-${process.arch}` };
}

/**
 * `dplab backends`: every training backend, whether it loads here and, if not, exactly why; the
 * GPU adapter of webgpu; which one `auto` picks; and an images/s figure of the reference step
 * (engine/reference-step.ts) for each backend that loads.
 */
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { initBackend, nativeInstallAdvice, type BackendInfo } from './backend.ts';
import { measureReferenceStep } from './reference-step.ts';
import { BACKEND_KINDS, type BackendKind, type BackendReport, type BackendsReport } from '../common/backends.ts';

export type { BackendReport, BackendsReport };

/** The ladder of 'auto', fastest first. */
export const LADDER: readonly BackendKind[] = BACKEND_KINDS;

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
    `and libtensorflow, which its install script downloads. ${nativeInstallAdvice('tfjs-node-gpu')}`;
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

/** How a backend's figure is taken: the reference batch and budget, or a small one labelled for what it is. */
export interface FigurePlan {
  batch: number;
  budgetMs?: number;
  maxSteps?: number;
  warmup: boolean;
  /** Said beside the figure: why it is small, and that it is no speed claim. */
  note?: string;
}

/**
 * Batch of the figure: the reference B = 64, except where one such step takes minutes — the pure-JS
 * cpu backend and a software GPU adapter (SwiftShader, llvmpipe). Those get B = 2 and one timed step
 * (a few seconds), so the report still shows they train, labelled as the correctness paths they are.
 */
export function figurePlan(kind: BackendKind, info: BackendInfo): FigurePlan {
  if (kind === 'cpu') {
    return { batch: 2, maxSteps: 1, warmup: false, note: 'pure-JS backend: a correctness path, not a speed claim' };
  }
  if (info.adapter?.fallback) {
    return { batch: 2, maxSteps: 1, warmup: true, note: 'software adapter: a correctness path, not a speed claim' };
  }
  return { batch: 64, warmup: true };
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
      const plan = figurePlan(kind, info);
      opts.onProgress?.(`${kind}: timing the reference step (B = ${plan.batch})…`);
      try {
        r.rate = await measureReferenceStep(plan.batch, plan.budgetMs ?? opts.budgetMs ?? 3000, plan.maxSteps ?? 50, plan.warmup);
        if (plan.note) r.rateNote = plan.note;
      } catch (e) {
        r.rateNote = `the reference step failed: ${(e as Error).message.split('\n')[0]}`;
      }
    }
    out.push(r);
  }
  const auto = out.find((b) => b.loads && !b.adapter?.fallback)?.kind ?? 'cpu';
  return { backends: out, auto, platform: `${process.platform}-${process.arch}` };
}

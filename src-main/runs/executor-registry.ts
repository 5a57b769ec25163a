/**
 * The executor registry: one loader per executor kind. It lives apart from the interface
 * (`executor.ts`) because it imports the executors' modules and they import the interface; kept
 * together, the two imported each other.
 */
import type { Archive } from '../archive/archive.ts';
import type { ExecutorFactory, ExecutorKind, ExecutorOptions, SweepExecutor } from './executor.ts';

/** The executors, by name; each loads its module only when used (the service starts without them). */
export const EXECUTORS: Readonly<Record<ExecutorKind, () => Promise<ExecutorFactory>>> = {
  local: async () => (await import('./executor-local.ts')).localExecutor,
  slurm: async () => (await import('./executor-slurm.ts')).slurmExecutor,
};

/** True when `k` names an executor (own keys only: a user string never walks into the prototype). */
export function isExecutorKind(k: unknown): k is ExecutorKind {
  return typeof k === 'string' && Object.hasOwn(EXECUTORS, k);
}

/**
 * The executor a sweep was started with, from its stored definition (`local` when none is recorded).
 * `imported`: the record came from another archive (archive/merge.ts marks it), so its folder and job
 * are another lab's, never followed by this one.
 */
export function storedExecutor(definition: unknown): { kind: ExecutorKind; stored: Record<string, unknown>; imported: boolean } {
  const e = (definition as { executor?: unknown } | null)?.executor;
  if (e && typeof e === 'object' && isExecutorKind((e as { kind?: unknown }).kind)) {
    return { kind: (e as { kind: ExecutorKind }).kind, stored: e as Record<string, unknown>, imported: (e as { imported?: unknown }).imported === true };
  }
  return { kind: 'local', stored: {}, imported: false };
}

/** Builds the executor of kind `kind`. */
export async function createExecutor(kind: ExecutorKind, archive: Archive, sweepUuid: string | null, opts: ExecutorOptions = {}, stored?: Record<string, unknown>): Promise<SweepExecutor> {
  const factory = await EXECUTORS[kind]();
  return factory(archive, sweepUuid, opts, stored);
}

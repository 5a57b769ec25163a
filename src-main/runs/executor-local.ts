/**
 * The local executor: the members train in trainer processes of this machine, through the run
 * manager's queue (at most `--concurrency` at once). This is what `dplab sweep` always did.
 */
import { FINAL_STATUSES, type Archive } from '../archive/archive.ts';
import { RunManager } from './manager.ts';
import { membersFromArchive, type ExecutorFactory, type MemberState, type SweepExecutor } from './executor.ts';

/** Builds the local executor (`extra.concurrency`: runs at once; `extra.threads`: threads per trainer, default the cores shared out). */
export const localExecutor: ExecutorFactory = (archive: Archive, sweepUuid, opts): SweepExecutor => {
  const c = opts.extra?.concurrency;
  const t = opts.extra?.threads;
  const manager = new RunManager(archive, {
    concurrency: c !== undefined ? Number(c) : undefined,
    ...(t !== undefined ? { threads: Number(t) } : {}),
    backend: opts.backend ?? 'auto',
    checkpointEvery: opts.checkpointEvery,
  });
  manager.recover();
  let uuid = sweepUuid;
  const states = () => (uuid ? membersFromArchive(archive, uuid) : []);
  return {
    kind: 'local',
    get concurrency() {
      return manager.concurrency;
    },
    async start(launch) {
      uuid = launch.sweepUuid;
      manager.enqueueAll(launch.members.map((m) => m.runUuid));
      return { kind: 'local' };
    },
    async poll() {
      return states();
    },
    async follow(onChange, signal) {
      const onStatus = (runUuid: string) => {
        const m = states().find((x) => x.runUuid === runUuid);
        if (m) onChange(m);
      };
      manager.on('status', onStatus);
      const onAbort = () => void this.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await manager.idle();
      } finally {
        manager.off('status', onStatus);
        signal?.removeEventListener('abort', onAbort);
      }
      return states();
    },
    async cancel() {
      for (const m of states()) if (!FINAL_STATUSES.has(m.status)) manager.cancel(m.runUuid);
    },
    async close() {
      await manager.close();
    },
  } as SweepExecutor & { concurrency: number };
};

export type { MemberState };

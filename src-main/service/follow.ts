/**
 * The Slurm follow loop: while the lab is served on a cluster's login node, the sweeps it started on
 * another executor (a Slurm job array) are polled and their finished shards merged, so they show
 * like local ones. It runs only while such a sweep is unfinished.
 */
import type { LabEvent } from '../contract/index.ts';
import type { Archive } from '../archive/archive.ts';
import { ACTIVE_STATUSES } from '../common/events.ts';

/** What the follow loop needs of the service. */
export interface FollowerDeps {
  /** The archive in use now (archive.open replaces it). */
  archive: () => Archive;
  /** Sends an event to every listener. */
  emit: (e: LabEvent) => void;
  /** Milliseconds between polls; default 5000. */
  followMs?: number | undefined;
}

/** Follows the unfinished cluster sweeps of the archive in use; `wake` schedules a pass, `close` stops it for good. */
export class ClusterFollower {
  /** Sweeps of another executor (Slurm) that still have members to finish; finished ones are not polled again. */
  private readonly clusterDone = new Set<string>();
  /** The next follow pass, when one is due; null while a pass runs or while no cluster sweep is unfinished. */
  private followTimer: NodeJS.Timeout | null = null;
  private following = false;
  /** Aborted by close(): a Slurm command of a follow pass still in flight is killed, not waited for. */
  private readonly followAbort = new AbortController();

  /**
   * Schedules a follow pass unless one is due or running (passes never overlap). Called when the
   * archive opens and when a client looks at sweeps or runs (a sweep submitted from the CLI meanwhile
   * is found then); a pass schedules the next only while some cluster sweep is unfinished, so a lab
   * without one polls nothing.
   */
  wake(delayMs = 0): void {
    if (this.closed || this.following || this.followTimer) return;
    this.followTimer = setTimeout(() => {
      this.followTimer = null;
      void this.followClusterSweeps();
    }, delayMs);
    this.followTimer.unref();
  }

  /**
   * Follows the sweeps that run elsewhere (a Slurm job array) while the lab is served on the
   * cluster's login node: their placeholder rows take Slurm's states and every finished shard is
   * merged as it lands, so the Sweeps view shows them like local ones. A failing poll (squeue
   * unreachable) is kept as the members' detail and retried on the next tick. Only folders this lab
   * recorded when it started the sweep are followed: never one a client sent (sweeps.start refuses
   * it) nor one an imported archive named (marked `imported` on import). Slurm's commands run as
   * child processes awaited here, so a slow login node never holds the event loop.
   */
  private async followClusterSweeps(): Promise<void> {
    if (this.following || this.closed) return;
    this.following = true;
    let unfinished = false;
    try {
      const { storedExecutor, createExecutor } = await import('../runs/executor-registry.ts');
      for (const sw of this.deps.archive().listSweeps()) {
        if (this.clusterDone.has(sw.uuid)) continue;
        const rec = this.deps.archive().getSweep(sw.uuid);
        const { kind, stored, imported } = storedExecutor(rec?.definition);
        if (!rec || kind === 'local' || imported) {
          this.clusterDone.add(sw.uuid);
          continue;
        }
        unfinished = true;
        const before = new Map(this.deps.archive().listRuns({ sweep: sw.uuid }).map((r) => [r.uuid, `${r.status}|${r.lastStep}|${r.error}`]));
        const ex = await createExecutor(kind, this.deps.archive(), sw.uuid, { signal: this.followAbort.signal }, stored);
        let states;
        try {
          states = await ex.poll();
        } catch {
          continue; // Slurm unreachable from here (the lab serves on a desktop): the rows stay as they are
        } finally {
          await ex.close();
        }
        let changed = false;
        for (const r of this.deps.archive().listRuns({ sweep: sw.uuid })) {
          if (before.get(r.uuid) === `${r.status}|${r.lastStep}|${r.error}`) continue;
          changed = true;
          this.deps.emit({ type: 'run.status', runId: r.uuid, status: r.status });
        }
        const done = states.filter((m) => !ACTIVE_STATUSES.has(m.status)).length;
        // Members it reused (finished runs of the same setup hash) have no task but count as done, as in a local sweep.
        const reused = rec.members.filter((m) => m.reused).length;
        if (changed) this.deps.emit({ type: 'sweep.progress', sweepId: sw.uuid, done: done + reused, total: states.length + reused });
        if (done === states.length && states.every((m) => m.status !== 'interrupted')) this.clusterDone.add(sw.uuid);
      }
    } catch {
      // Following is a convenience; `dplab sweep status` says what is wrong.
    } finally {
      this.following = false;
      if (unfinished) this.wake(this.deps.followMs ?? 5000);
    }
  }

  private closed = false;

  constructor(private readonly deps: FollowerDeps) {}

  /** Forgets which sweeps were finished (archive.open: the new archive's sweeps are all looked at). */
  reset(): void {
    this.clusterDone.clear();
  }

  /** Stops following: no pass is scheduled again, and a Slurm command in flight is killed. */
  close(): void {
    this.closed = true;
    if (this.followTimer) clearTimeout(this.followTimer);
    this.followAbort.abort();
  }
}

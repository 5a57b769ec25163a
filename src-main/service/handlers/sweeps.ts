/** Sweeps: previewing a grid, starting one on the run manager's queue, listing them, and one sweep's runs grouped by its axes. */
import { BASELINE_METRICS } from '../../common/metrics.ts';
import { expandSweep, sweepAxes, sweepSeeds, type SweepDefinition } from '../../common/sweep.ts';
import { ACTIVE_STATUSES } from '../../common/events.ts';
import { FINAL_METRICS, groupBaselines, groupRuns } from '../../runs/aggregate.ts';
import { membersFromArchive } from '../../runs/executor.ts';
import { withSeeds } from '../../runs/sweep.ts';
import { ServiceError, type Area, type Handlers, type ServiceContext } from '../context.ts';
import { refuseUnfit } from '../preflight.ts';
import { currentSetup, toRow } from '../rows.ts';

/** The handlers of sweeps.*. */
export function sweepsHandlers(ctx: ServiceContext): Handlers<Area<'sweeps'>> {
  return {
    'sweeps.preview': (a) => {
      const { concurrency: _c, ...def } = a.definition as SweepDefinition & { concurrency?: number };
      const { members, issues } = expandSweep(def);
      // The size of the grid even when some combinations are invalid (then no members come back).
      let count = members.length;
      if (!count) {
        try {
          count = sweepAxes(def).reduce((n, ax) => n * ax.values.length, 1) * sweepSeeds(def).length;
        } catch {
          count = 0;
        }
      }
      return {
        count,
        issues: issues.map((i) => ({ path: i.path, message: i.message, ...(i.idx >= 0 ? { combo: i.combo } : {}) })),
        combos: members.map((m) => m.combo),
      };
    },
    'sweeps.start': (a) => {
      if (Object.prototype.hasOwnProperty.call(a.definition, 'executor')) {
        // The executor record names a folder and a Slurm job for the lab to follow and act on: only
        // the lab writes it, when its own executor accepted the sweep (the app trains on its queue).
        throw new ServiceError('invalid-args', `sweeps.start: definition.executor is recorded by the lab when it starts a sweep, never sent by a client; remove the field (got ${JSON.stringify(a.definition.executor).slice(0, 200)})`);
      }
      // `concurrency` belongs to the queue, not to the grid: it sets how many runs train at once.
      const { concurrency, ...def } = a.definition as SweepDefinition & { concurrency?: number };
      if (concurrency !== undefined) {
        ctx.manager.setConcurrency(concurrency);
        ctx.emit({ type: 'queue', ...ctx.queueState() });
      }
      const { members, issues } = expandSweep(def);
      if (issues.length) {
        throw new ServiceError('invalid-args', `the sweep has ${issues.length} problem(s); nothing was started: ${issues.slice(0, 5).map((i) => `${i.path || '(setup)'}: ${i.message}`).join('; ')}`);
      }
      refuseUnfit(ctx, members);
      const { sweepId, runIds, reused } = ctx.manager.submitSweep(def, members);
      ctx.lastSweepProgress.set(sweepId, `${reused}/${runIds.length}`);
      ctx.emit({ type: 'sweep.progress', sweepId, done: reused, total: runIds.length });
      return { sweepId, runIds, reused };
    },
    'sweeps.addSeeds': (a) => {
      const s = ctx.archive.getSweep(a.sweepId);
      if (!s) throw new ServiceError('not-found', `no sweep ${a.sweepId} in ${ctx.archive.file}`);
      const stored = s.definition as SweepDefinition & { executor?: { kind?: unknown } };
      if (stored.executor && stored.executor.kind !== 'local') throw new ServiceError('invalid-args', `sweep ${s.uuid} runs on ${String(stored.executor.kind)}; seeds are added to the lab's own sweeps only`);
      const { executor: _executor, ...plain } = stored;
      const def = withSeeds(plain, a.seeds);
      const { members, issues } = expandSweep(def);
      if (issues.length) throw new ServiceError('invalid-args', `sweep ${s.uuid} with ${a.seeds} seeds has ${issues.length} problem(s): ${issues.slice(0, 5).map((i) => `${i.path || '(setup)'}: ${i.message}`).join('; ')}`);
      const had = new Set(s.members.map((m) => m.combo.seed));
      const fresh = members.filter((m) => !had.has(m.combo.seed));
      refuseUnfit(ctx, fresh);
      const out = ctx.manager.extendSweep(s.uuid, { ...def, ...(stored.executor ? { executor: stored.executor } : {}) }, fresh);
      const states = membersFromArchive(ctx.archive, s.uuid);
      const total = states.length;
      const done = states.filter((m) => !ACTIVE_STATUSES.has(m.status)).length;
      ctx.lastSweepProgress.set(s.uuid, `${done}/${total}`);
      ctx.emit({ type: 'sweep.progress', sweepId: s.uuid, done, total });
      return { added: out.newRunIds.length, reused: out.reused, runIds: out.runIds };
    },
    'sweeps.list': () => {
      ctx.wakeFollow(); // a sweep submitted from the CLI since is followed from now on
      return ctx.archive.listSweeps().map((s) => ({ id: s.uuid, name: s.name, createdAt: s.createdAt, runs: s.runs, reused: s.reused }));
    },
    'sweeps.get': (a) => {
      ctx.wakeFollow();
      const s = ctx.archive.getSweep(a.sweepId);
      if (!s) throw new ServiceError('not-found', `no sweep ${a.sweepId} in ${ctx.archive.file}`);
      const runs = ctx.archive.listRuns({ sweep: s.uuid, order: 'oldest' });
      const by = a.groupBy ?? sweepAxes(s.definition as SweepDefinition).map((x) => x.path);
      const grouped = runs.map((r) => ({ uuid: r.uuid, status: r.status, setup: currentSetup(r.setup), summary: r.summary as unknown as Record<string, unknown> | null }));
      const rows = groupRuns(grouped, by, FINAL_METRICS);
      const baselines = groupBaselines(rows, grouped, BASELINE_METRICS);
      const ex = (s.definition as { executor?: { kind?: unknown; jobId?: unknown; folder?: unknown } } | null)?.executor;
      return {
        id: s.uuid,
        name: s.name,
        definition: s.definition,
        executor: ex && typeof ex.kind === 'string' ? { kind: ex.kind, jobId: typeof ex.jobId === 'string' ? ex.jobId : null, folder: typeof ex.folder === 'string' ? ex.folder : null } : null,
        runs: runs.map((r) => toRow(r)),
        groups: rows.map((g, i) => ({ key: g.key, n: g.runs.length, metrics: g.metrics, baseline: baselines[i]! })),
      };
    },
  };
}

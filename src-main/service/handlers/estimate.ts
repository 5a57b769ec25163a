/**
 * estimate.time: the wall time of one run, a sweep's grid or a claim's arms on this machine before
 * any starts (runs/estimate.ts), from the archive's finished runs on the backend runs train on now,
 * else (with `probe`) from this machine's pace measured by a short probe run (runs/probe.ts), in a
 * trainer process so this loop keeps answering meanwhile.
 */
import { availableParallelism } from 'node:os';
import { checkSetup, type Setup } from '../../common/setup.ts';
import { machineCores, threadShare } from '../../common/backends.ts';
import { expandSweep, type SweepDefinition } from '../../common/sweep.ts';
import { archiveInputs } from '../../runs/estimate.ts';
import { estimateWithProbes } from '../../runs/probe.ts';
import { ServiceError, type Area, type Handlers, type ServiceContext } from '../context.ts';
import { backendNow } from '../preflight.ts';

/** The handlers of estimate.*. */
export function estimateHandlers(ctx: ServiceContext): Handlers<Area<'estimate'>> {
  return {
    'estimate.time': async (a) => {
      let setups: Setup[] = [];
      let invalid = 0;
      if (a.definition) {
        const { concurrency: _c, ...def } = a.definition as SweepDefinition & { concurrency?: number };
        const { members, issues } = expandSweep(def);
        if (!members.length && issues.length) throw new ServiceError('invalid-args', `estimate.time: the sweep does not expand: ${issues[0]!.path || '(setup)'}: ${issues[0]!.message}`);
        setups = members.map((m) => m.setup);
      } else {
        for (const raw of a.setups ?? []) {
          const r = checkSetup(raw);
          if (r.ok) setups.push(r.setup);
          else invalid++;
        }
      }
      const concurrency = ctx.queueState().concurrency;
      const cores = machineCores(process.env, availableParallelism());
      const inputs = archiveInputs(ctx.archive, setups, { reuse: a.reuse, ...(ctx.opts.dataDir !== undefined ? { cacheDir: ctx.opts.dataDir } : {}) });
      // A run's threads as the run manager would share the cores among the runs that train together.
      const together = Math.min(concurrency, cores, Math.max(1, inputs.planned.filter((p) => !p.reused).length));
      const opts = { backend: backendNow(ctx).backend, concurrency, cores, threads: ctx.opts.threads ?? threadShare(cores, together) };
      const allowed = ctx.opts.estimateProbes !== false;
      const { estimate, probe } = await estimateWithProbes(inputs, opts, ctx.pace, !!a.probe && allowed);
      const off = !allowed && probe?.status === 'needed' ? { status: 'off' as const, message: 'probe runs are off in this lab (dplab serve --no-estimate-probes)' } : null;
      return { ...estimate, probe: off ?? probe, invalid, cores, concurrency };
    },
  };
}

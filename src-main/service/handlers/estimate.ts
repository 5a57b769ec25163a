/**
 * estimate.time: the wall time of one run, a sweep's grid or a claim's arms on this machine before
 * any starts (runs/estimate.ts), from the archive's finished runs on the backend runs train on now.
 */
import { availableParallelism } from 'node:os';
import { checkSetup, type Setup } from '../../common/setup.ts';
import { expandSweep, type SweepDefinition } from '../../common/sweep.ts';
import { estimateFromArchive } from '../../runs/estimate.ts';
import { ServiceError, type Area, type Handlers, type ServiceContext } from '../context.ts';
import { backendNow } from '../preflight.ts';

/** The handlers of estimate.*. */
export function estimateHandlers(ctx: ServiceContext): Handlers<Area<'estimate'>> {
  return {
    'estimate.time': (a) => {
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
      const cores = availableParallelism();
      const e = estimateFromArchive(ctx.archive, setups, { backend: backendNow(ctx).backend, concurrency, cores, reuse: a.reuse, ...(ctx.opts.dataDir !== undefined ? { cacheDir: ctx.opts.dataDir } : {}) });
      return { ...e, invalid, cores, concurrency };
    },
  };
}

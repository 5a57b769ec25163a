/**
 * estimate.time: the wall time of one run, a sweep's grid or a claim's arms on this machine before
 * any starts (runs/estimate.ts), from the archive's finished runs on the backend runs train on now.
 */
import { availableParallelism } from 'node:os';
import { checkSetup, parseSetup, type Setup } from '../../common/setup.ts';
import { setupHash } from '../../common/hash.ts';
import { expandSweep, type SweepDefinition } from '../../common/sweep.ts';
import { estimateWall, setupStepShape, type MeasuredRun, type StepShape } from '../../runs/estimate.ts';
import { ServiceError, type Area, type Handlers, type ServiceContext } from '../context.ts';
import { backendNow } from '../preflight.ts';
import { currentSetup } from '../rows.ts';

/** Finished runs read per request: enough for every shape a lab uses, bounded so the request stays cheap. */
const MEASURED_LIMIT = 2000;

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
      const backend = backendNow(ctx).backend;
      // Shapes are resolved once per dataset spec (an imported dataset's metadata is a file read).
      const shapes = new Map<string, StepShape | null>();
      const shapeOf = (s: Setup) => {
        const key = JSON.stringify([s.data, s.optim.batchSize, s.optim.epochs, s.optim.maxSteps ?? null, s.optim.lastBatch]);
        if (!shapes.has(key)) shapes.set(key, setupStepShape(s, ctx.opts.dataDir));
        return shapes.get(key)!;
      };
      const measured: MeasuredRun[] = [];
      for (const r of ctx.archive.listRuns({ status: 'completed', limit: MEASURED_LIMIT })) {
        const sum = r.summary;
        if (!sum || !(sum.steps > 0) || !(sum.wallSec > 0)) continue;
        let setup: Setup;
        try {
          setup = parseSetup(currentSetup(r.setup), { stored: true });
        } catch {
          continue;
        }
        const shape = shapeOf(setup);
        if (shape) measured.push({ setup, backend: sum.backend || r.backend || '', steps: sum.steps, wallSec: sum.wallSec, imagesPerSec: sum.imagesPerSec, shape });
      }
      const held = new Set<string>();
      if (a.reuse) for (const r of ctx.archive.listRuns({ status: ['completed', 'queued', 'running'] })) held.add(r.setupHash);
      const planned = setups.map((setup) => {
        const shape = shapeOf(setup) ?? { steps: null, height: 0, width: 0, channels: 0 };
        return { setup, shape, reused: a.reuse && held.has(setupHash(setup)) };
      });
      const concurrency = ctx.queueState().concurrency;
      const cores = availableParallelism();
      const e = estimateWall(planned, measured, { backend, concurrency, cores });
      const basis = e.unknown === e.runs - e.reused ? 'none' : e.scaled > 0 ? 'scaled' : 'recorded';
      return { ...e, invalid, cores, concurrency, basis };
    },
  };
}

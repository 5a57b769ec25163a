/**
 * The short probe behind a time estimate when no finished run can serve (a fresh archive, a new
 * shape): the setup trains for a few steps in a trainer process (the run manager's launcher, never
 * on the caller's event loop), its events timed as they arrive, and nothing is recorded in the
 * archive. What it measures, and how a run's time is made from it:
 * - per step: the pace between the progress events after the first steps (spectra and the loop's
 *   own work included);
 * - fixed: everything else up to the last step (process start, TensorFlow.js and the backend, the
 *   dataset, the networks, the step-0 evaluation, the first steps' warm-up) plus the final
 *   evaluation after it;
 * - one evaluation (the step-0 one), paid again at every `eval.everyEpochs` of the real run.
 * It leaves out checkpoints (every 100 steps under the run manager: one archive write each) and
 * other runs sharing the cores. Bounded: PROBE_STEPS steps, stepping stops after PROBE_STEP_CAP_MS
 * (with at least 3 steps), the trainer is killed at PROBE_CAP_MS; a setup the memory preflight
 * refuses is not probed. `PaceProber` keeps each pace for the life of its owner (the service, one
 * CLI call) and runs one probe at a time, which a newer request or closing cancels.
 */
import type { Setup } from '../common/setup.ts';
import type { BackendKind, BackendPreference } from '../common/backends.ts';
import { forkTrainer, type TrainerLauncher } from './manager.ts';
import { estimateInputs, paceRun, probeKey, unmeasured, type ArchiveEstimate, type EstimateInputs, type MeasuredRun, type PaceMeasure, type PlannedRun } from './estimate.ts';
import { setupFootprintProblems } from './footprint.ts';

/** Steps a probe trains (fewer when the run itself is shorter). */
export const PROBE_STEPS = 20;
/** Milliseconds of stepping after which a probe stops (once it has 3 steps): a slow network is measured on fewer steps. */
export const PROBE_STEP_CAP_MS = 20_000;
/** Milliseconds after which a probe's trainer is killed, whatever it is doing. */
export const PROBE_CAP_MS = 150_000;
/** Probes one estimate makes at most; further shapes are scaled from them or stay unknown. */
export const MAX_PROBES = 3;
/** Paces a PaceProber keeps (the oldest measured goes first): bounds what a stream of new shapes can hold. */
export const MAX_KEPT = 256;

/** A probe ended by its caller (a newer request, closing), not by a fault. */
export class ProbeCancelled extends Error {
  override name = 'ProbeCancelled';
  constructor() {
    super('the probe was cancelled');
  }
}

/** The setup a probe trains: `setup` cut to `steps` steps, without periodic evaluations (they are timed once, at step 0). */
export function probeSetup(setup: Setup, steps: number): Setup {
  return { ...setup, optim: { ...setup.optim, maxSteps: steps }, eval: { ...setup.eval, everyEpochs: 0 } };
}

/** How one probe runs. */
export interface ProbeOptions {
  /** Starts the trainer process (the run manager's launcher; forkTrainer by default). */
  launch?: TrainerLauncher;
  backend: BackendPreference;
  /** Threads for wasm: the share a run of the estimate would get. */
  threads?: number;
  /** Steps to train (default: PROBE_STEPS, fewer when the run is shorter). */
  steps?: number;
  stepCapMs?: number;
  capMs?: number;
  /** Aborting kills the trainer; the probe then rejects with ProbeCancelled once it has exited. */
  signal?: AbortSignal;
  /** The clock (ms) messages are timed on (default performance.now): tests drive a fake trainer on their own. */
  now?: () => number;
}

/**
 * Trains `setup` for a few steps in a trainer process and times it (see the file's comment);
 * settles only after the process has exited, so a cancelled probe leaves no process behind.
 */
export function measurePace(setup: Setup, opts: ProbeOptions): Promise<PaceMeasure> {
  if (opts.signal?.aborted) return Promise.reject(new ProbeCancelled());
  const steps = Math.max(1, Math.floor(opts.steps ?? PROBE_STEPS));
  const stepCapMs = opts.stepCapMs ?? PROBE_STEP_CAP_MS;
  const capMs = opts.capMs ?? PROBE_CAP_MS;
  const now = opts.now ?? (() => performance.now());
  const t0 = now();
  const handle = (opts.launch ?? forkTrainer)();
  return new Promise<PaceMeasure>((resolve, reject) => {
    let started: { at: number; backend: string; threads: number | null } | null = null;
    let eval0: number | null = null;
    const progress: { step: number; at: number }[] = [];
    let doneAt: number | null = null;
    let error: string | null = null;
    let cancelled = false;
    let stopping = false;
    const cap = setTimeout(() => {
      error ??= `it passed its ${Math.round(capMs / 1000)} s cap`;
      handle.kill('SIGKILL');
    }, capMs);
    const onAbort = () => {
      cancelled = true;
      handle.kill('SIGKILL');
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    handle.port.onMessage((m) => {
      const at = now();
      if (m.type === 'error') error ??= m.message;
      else if (m.type === 'done') {
        doneAt = at;
        if (m.summary.outcome === 'failed' || m.summary.outcome === 'diverged') error ??= m.summary.error ?? m.summary.outcome;
      } else if (m.type === 'events') {
        for (const e of m.events) {
          if (e.type === 'started') started = { at, backend: e.env.backend, threads: e.env.threads ?? null };
          else if (e.type === 'eval' && e.step === 0) eval0 ??= at;
          else if (e.type === 'progress') {
            progress.push({ step: e.step, at });
            // Enough stepping for a slow network: stop after this step (the final evaluation still runs).
            if (!stopping && progress.length >= 3 && at - progress[0]!.at > stepCapMs) {
              stopping = true;
              handle.port.send({ type: 'cancel' }).catch(() => {});
            }
          }
        }
      }
    });
    handle.onExit((code, signal, tail) => {
      clearTimeout(cap);
      opts.signal?.removeEventListener('abort', onAbort);
      handle.port.close();
      if (cancelled) return reject(new ProbeCancelled());
      if (!started || progress.length < 2 || error) {
        const why = error ?? (code === 0 ? `it trained ${progress.length} step${progress.length === 1 ? '' : 's'}, too few to time` : `its trainer ended (${signal ?? `exit code ${code}`})${tail.trim() ? `: ${tail.trim().split('\n').slice(-2).join(' | ')}` : ''}`);
        return reject(new Error(`the probe of this machine's pace failed: ${why}`));
      }
      // The first steps warm up (kernels compiled, buffers allocated): a cost every run pays once, so
      // it goes to the fixed part, and the pace is taken after them.
      const from = progress[progress.length >= 5 ? 1 : 0]!;
      const last = progress[progress.length - 1]!;
      const perStepSec = (last.at - from.at) / 1000 / (last.step - from.step);
      const before = (from.at - t0) / 1000 - perStepSec * from.step;
      const evalSec = eval0 !== null ? (eval0 - started.at) / 1000 : 0;
      // Killed at the cap after its last step: its final evaluation is taken as long as the first.
      const after = doneAt !== null ? (doneAt - last.at) / 1000 : evalSec;
      resolve({ perStepSec, fixedSec: Math.max(0, before) + after, evalSec, steps: last.step, backend: started.backend, threads: started.threads });
    });
    handle.port
      .send({
        type: 'start',
        runUuid: 'probe',
        setup: probeSetup(setup, steps),
        backend: opts.backend,
        ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
        checkpointEvery: 0,
        // Every event on its own, so its arrival times the step it reports.
        batchMs: 50,
        batchMax: 1,
        heartbeatMs: 1000,
      })
      .catch(() => handle.kill('SIGKILL'));
  });
}

/** What a probe did for one estimate, as the contract reports it. */
export interface ProbeReport {
  /**
   * 'needed': a probe would give a figure (not asked for); 'measured' now; 'cached': an earlier
   * probe's pace; 'superseded': cancelled by a newer request or closing; 'failed' / 'unfit': no
   * figure, `message` says why.
   */
  status: 'needed' | 'measured' | 'cached' | 'superseded' | 'failed' | 'unfit';
  /** Steps the probe trained, and what it measured (seconds). */
  steps?: number;
  perStepSec?: number;
  fixedSec?: number;
  message?: string;
}

/** Options of a PaceProber. */
export interface PaceProberOptions {
  launch?: TrainerLauncher;
  /** The backend preference trainers get (the run manager's). */
  backend: () => BackendPreference;
  stepCapMs?: number;
  capMs?: number;
  /** Dataset cache folder, for the memory preflight. */
  cacheDir?: string;
}

/**
 * Paces measured by probes, kept per (probe key, backend, threads) for the life of this object, and
 * the one probe in flight: a request for another key cancels it, one for the same key waits for it.
 */
export class PaceProber {
  private readonly cache = new Map<string, { backend: string; threads: number; run: MeasuredRun }>();
  private current: { key: string; controller: AbortController; result: Promise<MeasuredRun> } | null = null;
  private closed = false;

  constructor(private readonly opts: PaceProberOptions) {}

  private static key(p: PlannedRun, backend: string, threads: number): string {
    return JSON.stringify([probeKey(p.setup, p.shape), backend, threads]);
  }

  /** The kept paces measured on `backend` with `threads`, as measured runs (estimateInputs' `paces`). */
  paces(backend: string, threads: number): MeasuredRun[] {
    return [...this.cache.values()].filter((c) => c.backend === backend && c.threads === threads).map((c) => c.run);
  }

  /** Cancels the probe in flight unless it measures one of `keep` (probe keys of runs a newer request still wants). */
  supersede(keep: readonly PlannedRun[], backend: string, threads: number): void {
    const c = this.current;
    if (c && !keep.some((p) => PaceProber.key(p, backend, threads) === c.key)) c.controller.abort();
  }

  /** The pace of planned run `p` on `backend` with `threads`: kept, in flight, or measured now. */
  async measure(p: PlannedRun, backend: string, threads: number): Promise<MeasuredRun> {
    if (this.closed) throw new ProbeCancelled();
    const key = PaceProber.key(p, backend, threads);
    const kept = this.cache.get(key)?.run;
    if (kept) return kept;
    if (this.current?.key === key) return this.current.result;
    if (this.current) {
      const old = this.current;
      old.controller.abort();
      await old.result.catch(() => {});
      if (this.closed) throw new ProbeCancelled();
      // Another request may have started this very probe while the old one ended.
      const again = this.cache.get(key)?.run ?? (this.current?.key === key ? this.current.result : null);
      if (again) return again;
      if (this.current) return this.measure(p, backend, threads);
    }
    const controller = new AbortController();
    const steps = Math.min(PROBE_STEPS, p.shape.steps ?? PROBE_STEPS);
    const result: Promise<MeasuredRun> = measurePace(p.setup, {
      backend: this.opts.backend(),
      threads,
      steps,
      signal: controller.signal,
      ...(this.opts.launch ? { launch: this.opts.launch } : {}),
      ...(this.opts.stepCapMs !== undefined ? { stepCapMs: this.opts.stepCapMs } : {}),
      ...(this.opts.capMs !== undefined ? { capMs: this.opts.capMs } : {}),
    })
      .then((pace) => {
        // Kept under the backend the estimate asked about, whatever the trainer reported.
        const run = paceRun(p.setup, p.shape, { ...pace, backend });
        this.cache.set(key, { backend, threads, run });
        if (this.cache.size > MAX_KEPT) this.cache.delete(this.cache.keys().next().value!);
        return run;
      })
      .finally(() => {
        if (this.current?.result === result) this.current = null;
      });
    this.current = { key, controller, result };
    return result;
  }

  /** Cancels the probe in flight and waits until its trainer has exited; later measures are refused. */
  async close(): Promise<void> {
    this.closed = true;
    const c = this.current;
    if (!c) return;
    c.controller.abort();
    await c.result.catch(() => {});
  }

  /** Memory preflight problems of probing `setup` on `backend` (a setup that cannot fit is not trained). */
  unfit(setup: Setup, backend: string): string | null {
    const problems = setupFootprintProblems(setup, backend as BackendKind, this.opts.cacheDir);
    return problems.length ? problems.map((p) => `${p.path}: ${p.message}`).join('; ') : null;
  }
}

/**
 * The estimate of `inputs` with the prober's kept paces; with `probe`, runs still without a figure
 * are measured (at most MAX_PROBES probes, one shape each, the rest scaled from them); without it,
 * a probe in flight for a shape this request does not need is cancelled.
 */
export async function estimateWithProbes(
  inputs: EstimateInputs,
  opts: { backend: string; concurrency: number; cores: number; threads: number },
  prober: PaceProber,
  probe: boolean,
): Promise<{ estimate: ArchiveEstimate; probe: ProbeReport | null }> {
  const paces = () => prober.paces(opts.backend, opts.threads);
  let missing = unmeasured(inputs, paces(), opts.backend);
  let report: ProbeReport | null = null;
  if (!probe) {
    prober.supersede(missing, opts.backend, opts.threads);
    const unfit = missing.length ? prober.unfit(missing[0]!.setup, opts.backend) : null;
    if (missing.length) report = unfit ? { status: 'unfit', message: unfit } : { status: 'needed' };
  } else {
    for (let n = 0; missing.length && n < MAX_PROBES; n++, missing = unmeasured(inputs, paces(), opts.backend)) {
      const p = missing[0]!;
      const unfit = prober.unfit(p.setup, opts.backend);
      if (unfit) {
        report = { status: 'unfit', message: unfit };
        break;
      }
      try {
        const run = await prober.measure(p, opts.backend, opts.threads);
        report = { status: 'measured', steps: run.pace!.steps, perStepSec: run.pace!.perStepSec, fixedSec: run.pace!.fixedSec };
      } catch (e) {
        report = e instanceof ProbeCancelled ? { status: 'superseded' } : { status: 'failed', message: (e as Error).message };
        break;
      }
    }
  }
  const estimate = estimateInputs(inputs, paces(), opts);
  if (!report && estimate.probed + estimate.scaled > 0) {
    // Figures from paces kept from earlier probes: say which.
    const kept = new Map(paces().map((r) => [probeKey(r.setup, r.shape), r.pace!]));
    const pace = inputs.planned.map((p) => kept.get(probeKey(p.setup, p.shape))).find((x) => x !== undefined);
    if (pace) report = { status: 'cached', steps: pace.steps, perStepSec: pace.perStepSec, fixedSec: pace.fixedSec };
  }
  return { estimate, probe: report };
}

/**
 * `dplab run <setup.json>`: trains one setup headless, shows a progress line with ETA, and ends
 * with a JSON summary. Exit codes: 0 completed, 1 failed, 2 bad usage or invalid setup,
 * 3 dataset missing or unreadable, 4 diverged, 130 cancelled (Ctrl-C).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { assertSetupPath, parseSetup, SetupError, setSetupField, type Setup } from '../common/setup.ts';
import type { RunSummary, TrainerEvent } from '../common/events.ts';
import { backendOption, formatDuration, parseCommand } from './args.ts';
import { parseThreads, type BackendPreference } from '../common/backends.ts';

const HELP = `usage: dplab run <setup.json> [--backend auto|tfjs-node-gpu|webgpu|tfjs-node|wasm|cpu] [--out FILE]
                 [--threads N] [--set path=value ...] [--quiet] [--no-archive] [--archive FILE]
       dplab run <setup.json> --estimate [--backend …] [--threads N] [--set …] [--archive FILE]

Trains the setup and prints a JSON summary (setup hash, backend, steps, final loss, collapse
indicators, probe and kNN accuracy, images/s), or writes it to --out FILE.
--set overrides a field of the setup, e.g. --set optim.epochs=2 --set predictor.kind=linear
(values are parsed as JSON when they can be, else taken as strings).
--threads sets how many threads wasm computes on (1-8; default: every core this process may use);
the count is printed at the start and recorded with the run.
--estimate records nothing: it prints how long the run would take on this machine, from finished runs
in the archive of the same shape on the backend (as the app shows before Start run), as JSON; with
none, from a short probe run (about 20 steps in a trainer process; Ctrl-C stops it).`;

/** Reads and validates a setup file with `--set` overrides; throws SetupError or a file error. */
export function loadSetupFile(file: string, overrides: string[] = []): Setup {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read setup file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`setup file ${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new Error(`--set expects path=value, got '${o}'`);
    const path = o.slice(0, eq);
    assertSetupPath(path);
    const text = o.slice(eq + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      /* a bare string */
    }
    raw = setSetupField(raw ?? {}, path, value);
  }
  return parseSetup(raw);
}

function progressLine(e: Extract<TrainerEvent, { type: 'progress' }>, loss: number | null): string {
  const pct = ((100 * e.step) / e.totalSteps).toFixed(0).padStart(3);
  const eta = e.etaSec === null ? '—' : formatDuration(e.etaSec);
  const l = loss === null ? '' : `  loss ${loss.toFixed(4)}`;
  return `step ${e.step}/${e.totalSteps} (${pct}%)  epoch ${e.epoch.toFixed(2)}${l}  ETA ${eta}`;
}

/** The `run` sub-command. */
export async function runCommand(args: string[]): Promise<number> {
  const a = parseCommand('run', args, { string: ['backend', 'out', 'archive', 'threads'], multi: ['set'], boolean: ['quiet', 'no-archive', 'estimate'] }, HELP, { count: 1, what: 'one setup file' });
  if (typeof a === 'number') return a;
  let setup: Setup;
  try {
    setup = loadSetupFile(a.positional[0]!, a.multi.set ?? []);
  } catch (e) {
    console.error(`dplab run: ${e instanceof SetupError ? 'invalid setup: ' : ''}${(e as Error).message}`);
    return 2;
  }
  let backend: BackendPreference;
  try {
    backend = backendOption(a);
  } catch (e) {
    console.error(`dplab run: ${(e as Error).message}`);
    return 2;
  }
  let threads: number | undefined;
  try {
    threads = a.strings.threads === undefined ? undefined : parseThreads(a.strings.threads);
  } catch (e) {
    console.error(`dplab run: --threads: ${(e as Error).message}`);
    return 2;
  }
  if (a.flags.estimate) return printEstimate(setup, backend, threads, a.strings.archive);
  const quiet = a.flags.quiet === true;
  const tty = process.stderr.isTTY === true;
  let lastLoss: number | null = null;
  let lastPrinted = 0;
  const onEvent = (e: TrainerEvent) => {
    if (quiet) return;
    if (e.type === 'started') {
      const th = e.env.threads;
      const onThreads = th === null || th === undefined ? '' : ` · ${th} thread${th === 1 ? '' : 's'}`;
      console.error(`training on ${e.env.backend}${onThreads} · dataset ${e.dataset.name} (${e.dataset.pretrainCount} images) · ${e.totalSteps} steps`);
    } else if (e.type === 'scalars') {
      lastLoss = e.values.loss ?? lastLoss;
    } else if (e.type === 'progress') {
      const now = Date.now();
      if (tty) process.stderr.write(`\r${progressLine(e, lastLoss)}\x1b[K`);
      else if (now - lastPrinted > 5000 || e.step === e.totalSteps) {
        console.error(progressLine(e, lastLoss));
        lastPrinted = now;
      }
    } else if (e.type === 'eval') {
      if (tty) process.stderr.write('\n');
      console.error(`eval at step ${e.step}${e.step === 0 ? ' (random init)' : ''}: probe ${(100 * e.probeAcc).toFixed(1)}%  kNN ${(100 * e.knnAcc).toFixed(1)}%`);
    }
  };
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  let summary: RunSummary;
  try {
    const { runAndRecord } = await import('./record.ts');
    summary = await runAndRecord(setup, {
      backend,
      threads,
      onEvent,
      signal: controller.signal,
      archive: a.flags['no-archive'] ? null : (a.strings.archive ?? undefined),
      onRecorded: (uuid, file) => {
        if (!quiet) console.error(`run ${uuid} recorded in ${file}`);
      },
    });
  } catch (e) {
    if (tty && !quiet) process.stderr.write('\n');
    const err = e as Error;
    const isData = err.name === 'DatasetError' || /dataset|no such file|ENOENT/i.test(err.message);
    console.error(`dplab run: ${err instanceof SetupError ? 'invalid setup: ' : ''}${err.message}`);
    return err instanceof SetupError ? 2 : isData ? 3 : 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (tty && !quiet) process.stderr.write('\n');
  const json = JSON.stringify(summary, null, 2);
  if (a.strings.out) writeFileSync(a.strings.out, json + '\n');
  else console.log(json);
  switch (summary.outcome) {
    case 'completed':
      return 0;
    case 'diverged':
      console.error(`dplab run: diverged: ${summary.error}`);
      return 4;
    case 'cancelled':
      return 130;
    default:
      console.error(`dplab run: failed: ${summary.error}`);
      return 1;
  }
}

/**
 * `dplab run --estimate`: the run's time from the archive's finished runs (runs/estimate.ts), else
 * from a short probe run of this machine's pace (runs/probe.ts, the service's code); nothing recorded.
 */
async function printEstimate(setup: Setup, backend: BackendPreference, threads: number | undefined, archiveFlag: string | undefined): Promise<number> {
  const { existsSync } = await import('node:fs');
  const { availableParallelism } = await import('node:os');
  const { resolveArchivePath } = await import('../archive/paths.ts');
  const { openArchive } = await import('../archive/archive.ts');
  const { archiveInputs } = await import('../runs/estimate.ts');
  const { estimateWithProbes, PaceProber } = await import('../runs/probe.ts');
  const { likelyBackend } = await import('../runs/backend-probe.ts');
  const { threadShare } = await import('../common/backends.ts');
  const file = resolveArchivePath(archiveFlag);
  const kind = likelyBackend(backend);
  const { machineCores } = await import('../common/backends.ts');
  const cores = machineCores(process.env, availableParallelism());
  const opts = { backend: kind, concurrency: 1, cores, threads: threads ?? threadShare(cores, 1) };
  let inputs;
  if (existsSync(file)) {
    const archive = openArchive(file, { readonly: true });
    try {
      inputs = archiveInputs(archive, [setup], {});
    } finally {
      archive.close();
    }
  } else inputs = archiveInputs(null, [setup], {});
  const prober = new PaceProber({ backend: () => backend });
  const first = await estimateWithProbes(inputs, opts, prober, false);
  let r = first;
  if (first.probe?.status === 'needed') {
    console.error(`no finished run of a similar size on ${kind} in ${file}: measuring this machine's pace with a short probe run…`);
    const onSigint = () => void prober.close();
    process.once('SIGINT', onSigint);
    try {
      r = await estimateWithProbes(inputs, opts, prober, true);
    } finally {
      process.off('SIGINT', onSigint);
    }
  }
  const e = r.estimate;
  const p = r.probe;
  if (p?.status === 'superseded') {
    console.error('dplab run: the probe was stopped; no estimate');
    return 130;
  }
  const from =
    e.basis === 'probe'
      ? `measured by a ${p?.steps ?? '?'}-step probe: ${p?.perStepSec?.toFixed(3) ?? '?'} s a step + ${Math.round(p?.fixedSec ?? 0)} s of start-up, data and evaluation`
      : `${e.basis === 'scaled' ? 'rough: scaled by network size from' : 'from'} ${e.basisRuns} finished run${e.basisRuns === 1 ? '' : 's'} in ${file}`;
  console.error(
    e.wallSec === null
      ? `no estimate: ${p?.message ?? `no finished run of a similar size on ${kind} in ${file}`}`
      : `about ${formatDuration(e.wallSec)} on ${kind} (${from})`,
  );
  console.log(JSON.stringify({ ...e, probe: p, archive: file }, null, 2));
  return 0;
}

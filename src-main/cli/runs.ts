/**
 * `dplab runs list|show|export|rm|tag|note|resume|cancel`: browsing and managing the archive's runs.
 * Runs are named by uuid or a unique prefix of it (≥ 4 characters).
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { openArchive, RUN_STATUSES, type Archive, type RunRecord, type RunStatus } from '../archive/archive.ts';
import { exportChunks, exportRunBundle, metricsTable, runsTable, spectraTable, toCsv, type Table } from '../archive/export.ts';
import { resolveArchivePath } from '../archive/paths.ts';
import { parseArgs, formatDuration } from './args.ts';
import { BASELINE_METRICS, describeEvalProtocol, runEvalProtocol, type BaselineMetric } from '../spec/metrics.ts';
import { controlCharIssue, printable } from '../spec/text.ts';

const HELP = `usage: dplab runs <sub-command> [--archive FILE]

  list   [--status S[,S]] [--tag T] [--sweep UUID] [--limit N] [--json]
  show   <run> [--json]
  compare <run>... [--json]   final metrics beside each run's random-init baseline (step 0),
         with the evaluation protocol of each run
  export <run>... | --all  [--format csv|json] [--what runs|metrics|spectra|bundle] [--out FILE|DIR]
         csv: runs (one line per run), metrics (one line per step) or spectra (long form);
         json: the full run bundle by default (re-importable with 'dplab archive import').
         Several runs with metrics/spectra need --out DIR (one file per run).
  rm     <run>...
  tag    <run> TAG... [--remove TAG]...
  note   <run> [TEXT | --file FILE]     (no text: print the note; empty text: remove it)
  resume <run> [--backend NAME] [--checkpoint-every N]   continue from the newest checkpoint
  cancel <run>

<run> is a uuid or a unique prefix of one.`;

/** The `runs` sub-command. */
export async function runsCommand(args: string[]): Promise<number> {
  const a = parseArgs(args, {
    string: ['archive', 'status', 'tag', 'sweep', 'limit', 'format', 'what', 'out', 'file', 'backend', 'checkpoint-every'],
    multi: ['remove'],
    boolean: ['help', 'json', 'all', 'quiet'],
  });
  if (a.flags.help || a.positional.length === 0) {
    console.log(HELP);
    return a.flags.help ? 0 : 2;
  }
  if (a.error) {
    console.error(`dplab runs: ${a.error}`);
    return 2;
  }
  const [sub, ...rest] = a.positional;
  let archive: Archive | undefined;
  try {
    archive = openArchive(resolveArchivePath(a.strings.archive), { create: sub === 'list' });
    if ((sub === 'list' || sub === 'show') && !archive.readonly) {
      // A run whose process died still reads 'running' until a manager looks: show the truth.
      const { RunManager } = await import('../runs/manager.ts');
      const m = new RunManager(archive, { concurrency: 1 });
      m.recover();
      await m.close();
    }
    switch (sub) {
      case 'list':
        return list(archive, a.strings, a.flags.json === true);
      case 'show':
        return show(archive, one(rest, 'show'), a.flags.json === true);
      case 'compare':
        if (!rest.length) throw new UsageError('compare needs at least one run');
        return compare(rest.map((r) => archive!.resolveRun(r)), a.flags.json === true);
      case 'export':
        return await exportRuns(archive, rest, a.flags.all === true, a.strings);
      case 'rm': {
        if (!rest.length) throw new UsageError('rm needs at least one run');
        const runs = rest.map((r) => archive!.resolveRun(r));
        // Through a manager: a run whose owner process lives is refused, one whose owner is gone is recovered first.
        const { RunManager } = await import('../runs/manager.ts');
        const m = new RunManager(archive, { concurrency: 1 });
        try {
          for (const r of runs) {
            m.delete(r.uuid);
            console.log(`removed ${r.uuid}${r.name ? ` (${printable(r.name)})` : ''}`);
          }
        } finally {
          await m.close();
        }
        return 0;
      }
      case 'tag': {
        if (!rest.length) throw new UsageError('tag needs a run');
        const r = archive.resolveRun(rest[0]!);
        for (const t of rest.slice(1)) {
          const why = controlCharIssue(t);
          if (why) throw new UsageError(`tag '${printable(t)}' ${why}`);
        }
        archive.addTags(r.uuid, rest.slice(1));
        archive.removeTags(r.uuid, a.multi.remove ?? []);
        console.log(`${r.uuid}: ${printable(archive.getRun(r.uuid)!.tags.join(', ')) || '(no tags)'}`);
        return 0;
      }
      case 'note': {
        if (!rest.length) throw new UsageError('note needs a run');
        const r = archive.resolveRun(rest[0]!);
        const text = a.strings.file !== undefined ? readFileSync(a.strings.file, 'utf8') : rest.length > 1 ? rest.slice(1).join(' ') : undefined;
        if (text === undefined) console.log(archive.getNote(r.uuid) ?? '(no note)');
        else {
          archive.setNote(r.uuid, text);
          console.log(text === '' ? `${r.uuid}: note removed` : `${r.uuid}: note saved`);
        }
        return 0;
      }
      case 'resume': {
        const r = archive.resolveRun(one(rest, 'resume'));
        const out = await resume(archive, r, a.strings, a.flags.quiet === true);
        return out;
      }
      case 'cancel': {
        const r = archive.resolveRun(one(rest, 'cancel'));
        const { RunManager } = await import('../runs/manager.ts');
        const m = new RunManager(archive, { concurrency: 1 });
        m.recover();
        const ok = m.cancel(r.uuid);
        await m.close();
        const now = archive.getRun(r.uuid)!;
        if (!ok) console.log(`run ${r.uuid} is ${now.status}: nothing to cancel`);
        else if (now.status === 'running') console.log(`asked the process running ${r.uuid} to cancel it`);
        else console.log(`run ${r.uuid} is ${now.status}`);
        return 0;
      }
      default:
        throw new UsageError(`unknown sub-command '${sub}'`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`dplab runs: ${e.message}\n\n${HELP}`);
      return 2;
    }
    // Every archive error names the file (SQLite's own messages do not).
    const m = (e as Error).message;
    const file = archive?.file ?? resolveArchivePath(a.strings.archive);
    console.error(`dplab runs ${sub}: ${m.includes(file) ? m : `${m} (archive ${file})`}`);
    return 1;
  } finally {
    archive?.close();
  }
}

class UsageError extends Error {}

function one(rest: string[], sub: string): string {
  if (rest.length !== 1) throw new UsageError(`${sub} takes exactly one run`);
  return rest[0]!;
}

const fmtNum = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '—' : v.toFixed(digits));
const fmtDelta = (v: number | null | undefined, b: number | null | undefined, digits: number) =>
  v === null || v === undefined || b === null || b === undefined ? '—' : `${v - b >= 0 ? '+' : '−'}${Math.abs(v - b).toFixed(digits)}`;
const METRIC_SHORT: Record<BaselineMetric, string> = { probeAcc: 'probe', knnAcc: 'kNN', collapseStd: 'collapse std', effectiveRank: 'eff. rank' };
const DIGITS: Record<BaselineMetric, number> = { probeAcc: 3, knnAcc: 3, collapseStd: 3, effectiveRank: 2 };

/**
 * `runs compare`: each run's final metrics beside its random-init baseline (step 0), and the
 * protocol its probe and kNN were measured with, flagged when the runs differ in it.
 */
function compare(runs: RunRecord[], json: boolean): number {
  const rows = runs.map((r) => {
    const s = r.summary;
    const protocol = runEvalProtocol(r);
    const final = Object.fromEntries(BASELINE_METRICS.map((m) => [m, s?.[m] ?? null])) as Record<BaselineMetric, number | null>;
    return { uuid: r.uuid, name: r.name, status: r.status, finalLoss: s?.finalLoss ?? null, final, baseline: s?.baseline ?? null, evalProtocol: protocol, protocol: describeEvalProtocol(protocol) };
  });
  if (json) {
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  }
  console.log(
    textTable({
      columns: ['run', 'status', 'loss', ...BASELINE_METRICS.map((m) => `${METRIC_SHORT[m]} (init → final)`), 'name'],
      rows: rows.map((x) => [
        x.uuid.slice(0, 8), x.status, fmtNum(x.finalLoss, 4),
        ...BASELINE_METRICS.map((m) => `${fmtNum(x.baseline?.[m], DIGITS[m])} → ${fmtNum(x.final[m], DIGITS[m])}`),
        x.name ?? '',
      ]),
    }),
  );
  const protocols = [...new Set(rows.map((x) => x.protocol))];
  if (protocols.length === 1) console.log(`protocol: ${protocols[0]}`);
  else {
    console.log('protocols differ, so probe and kNN accuracies are not comparable across these runs:');
    for (const x of rows) console.log(`  ${x.uuid.slice(0, 8)}  ${x.protocol}`);
  }
  if (rows.some((x) => !x.baseline)) console.log('— as random init: the run recorded no step-0 evaluation (made before it was recorded, or not finished)');
  return 0;
}
const fmtTime = (ms: number | null) => (ms === null ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));

function textTable(t: Table): string {
  // Names archived before control characters were refused may hold a line break: escaped, one row stays one line.
  const cells = [t.columns, ...t.rows.map((r) => r.map((c) => (c === null ? '—' : printable(String(c)))))];
  const w = t.columns.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd()).join('\n');
}

function list(archive: Archive, s: Record<string, string | undefined>, json: boolean): number {
  const status = s.status?.split(',').map((x) => x.trim()) as RunStatus[] | undefined;
  for (const st of status ?? []) if (!RUN_STATUSES.includes(st)) throw new UsageError(`unknown status '${st}' (one of ${RUN_STATUSES.join(', ')})`);
  const limit = s.limit !== undefined ? Number(s.limit) : undefined;
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new UsageError(`--limit must be a positive integer, got '${s.limit}'`);
  const runs = archive.listRuns({ status, tag: s.tag, sweep: s.sweep, limit });
  if (json) {
    console.log(JSON.stringify(runs, null, 2));
    return 0;
  }
  if (!runs.length) {
    console.log(`no runs in ${archive.file}`);
    return 0;
  }
  console.log(
    textTable({
      columns: ['run', 'status', 'created', 'steps', 'loss', 'collapse', 'probe', 'name', 'tags'],
      rows: runs.map((r) => [
        r.uuid.slice(0, 8), r.status, fmtTime(r.createdAt), r.lastStep === null ? '—' : `${r.lastStep}/${r.totalSteps ?? '?'}`,
        fmtNum(r.summary?.finalLoss, 4), fmtNum(r.summary?.collapseStd), fmtNum(r.summary?.probeAcc), r.name ?? '', r.tags.join(','),
      ]),
    }),
  );
  return 0;
}

function show(archive: Archive, ref: string, json: boolean): number {
  const r = archive.resolveRun(ref);
  const metrics = archive.getMetrics(r.uuid);
  const ckpts = archive.listCheckpoints(r.uuid);
  const evals = archive.getEvals(r.uuid);
  const note = archive.getNote(r.uuid);
  if (json) {
    const last = Object.fromEntries(metrics.map((m) => [m.name, { points: m.steps.length, lastStep: m.steps.at(-1), last: m.values.at(-1) }]));
    console.log(JSON.stringify({ ...r, note, checkpoints: ckpts, evals, metrics: last, spectra: archive.getSpectra(r.uuid).length }, null, 2));
    return 0;
  }
  const lines = [
    `run       ${r.uuid}${r.name ? `  ${printable(r.name)}` : ''}`,
    `status    ${r.status}${r.error ? `  (${r.error})` : ''}`,
    `times     created ${fmtTime(r.createdAt)} · started ${fmtTime(r.startedAt)} · ended ${fmtTime(r.endedAt)}` +
      (r.startedAt && r.endedAt ? ` · ${formatDuration((r.endedAt - r.startedAt) / 1000)}` : ''),
    `setup     hash ${r.setupHash.slice(0, 16)}… · seed ${r.seed}`,
    `backend   ${r.backend ?? '—'}${r.versions ? ` · ${Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}${r.appVersion ? ` · app ${r.appVersion}` : ''}`,
    `dataset   ${r.dataset ? `${r.dataset.name} (${r.dataset.hash.slice(0, 12)}…)` : '—'}`,
    `progress  step ${r.lastStep ?? 0}/${r.totalSteps ?? '?'} · checkpoints ${ckpts.map((c) => c.step).join(', ') || 'none'}`,
  ];
  if (r.summary) {
    const s = r.summary;
    lines.push(`summary   loss ${fmtNum(s.finalLoss, 4)} · ${fmtNum(s.imagesPerSec, 1)} img/s`);
    const b = s.baseline ?? null;
    lines.push(`final     ${BASELINE_METRICS.map((m) => `${METRIC_SHORT[m]} ${fmtNum(s[m], DIGITS[m])}`).join(' · ')}`);
    lines.push(`random init ${b ? BASELINE_METRICS.map((m) => `${METRIC_SHORT[m]} ${fmtNum(b[m], DIGITS[m])}`).join(' · ') : '— (not recorded: run made before step-0 evaluation)'}`);
    if (b) lines.push(`change    ${BASELINE_METRICS.map((m) => `${METRIC_SHORT[m]} ${fmtDelta(s[m], b[m], DIGITS[m])}`).join(' · ')}`);
  }
  lines.push(`protocol  ${describeEvalProtocol(runEvalProtocol(r))}`);
  if (metrics.length) lines.push(`metrics   ${metrics.map((m) => `${m.name} (${m.steps.length})`).join(', ')}`);
  if (evals.length) lines.push(`evals     ${evals.map((e) => `step ${e.step}: probe ${fmtNum(e.probeAcc)} kNN ${fmtNum(e.knnAcc)}`).join(' · ')}`);
  if (r.tags.length) lines.push(`tags      ${printable(r.tags.join(', '))}`);
  if (note) lines.push('', note);
  lines.push('', JSON.stringify(r.setup, null, 2));
  console.log(lines.join('\n'));
  return 0;
}

async function exportRuns(archive: Archive, refs: string[], all: boolean, s: Record<string, string | undefined>): Promise<number> {
  const format = s.format ?? (s.out?.endsWith('.json') ? 'json' : 'csv');
  if (format !== 'csv' && format !== 'json') throw new UsageError(`--format must be csv or json, got '${format}'`);
  const what = s.what ?? (format === 'json' ? 'bundle' : 'runs');
  if (!['runs', 'metrics', 'spectra', 'bundle'].includes(what)) throw new UsageError(`--what must be runs, metrics, spectra or bundle, got '${what}'`);
  if (what === 'bundle' && format !== 'json') throw new UsageError('--what bundle is JSON only');
  if (!all && refs.length === 0) throw new UsageError('export needs runs or --all');
  const runs: RunRecord[] = all ? archive.listRuns({ order: 'oldest' }) : refs.map((r) => archive.resolveRun(r));
  const write = (text: string, file?: string) => {
    if (file) writeFileSync(file, text);
    else process.stdout.write(text);
  };
  if (what === 'runs') {
    write(format === 'csv' ? toCsv(runsTable(runs, (uuid) => archive.getNote(uuid))) : JSON.stringify(runs, null, 2) + '\n', s.out);
  } else if (what === 'bundle') {
    if (runs.length === 1 && !all) write(JSON.stringify(exportRunBundle(archive, runs[0]!.uuid)) + '\n', s.out);
    // Several runs: one run at a time into the file or stdout, so memory stays that of one run.
    else await streamOut(exportChunks(archive, runs.map((r) => r.uuid), 'json'), s.out);
  } else {
    const one = (r: RunRecord): string => {
      if (what === 'metrics') {
        const m = archive.getMetrics(r.uuid);
        return format === 'csv' ? toCsv(metricsTable(m)) : JSON.stringify(m) + '\n';
      }
      const sp = archive.getSpectra(r.uuid);
      return format === 'csv' ? toCsv(spectraTable(sp)) : JSON.stringify(sp) + '\n';
    };
    if (runs.length === 1 && !all) write(one(runs[0]!), s.out);
    else {
      if (!s.out) throw new UsageError(`exporting ${what} of several runs needs --out DIR`);
      mkdirSync(s.out, { recursive: true });
      for (const r of runs) writeFileSync(join(s.out, `${r.uuid}-${what}.${format}`), one(r));
      console.error(`wrote ${runs.length} file(s) to ${s.out}`);
    }
  }
  if (s.out && !(what !== 'runs' && what !== 'bundle' && (runs.length > 1 || all))) console.error(`wrote ${s.out}`);
  return 0;
}

async function streamOut(chunks: Iterable<string>, file?: string): Promise<void> {
  if (!file) {
    for (const c of chunks) if (!process.stdout.write(c)) await new Promise((ok) => process.stdout.once('drain', ok));
    return;
  }
  const tmp = `${file}.part-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    for (const c of chunks) writeSync(fd, c);
    closeSync(fd);
    renameSync(tmp, file);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}

async function resume(archive: Archive, r: RunRecord, s: Record<string, string | undefined>, quiet: boolean): Promise<number> {
  const { RunManager } = await import('../runs/manager.ts');
  const every = s['checkpoint-every'] !== undefined ? Number(s['checkpoint-every']) : undefined;
  const m = new RunManager(archive, { concurrency: 1, backend: (s.backend ?? 'auto') as 'auto', checkpointEvery: every });
  m.recover();
  const fresh = archive.getRun(r.uuid)!;
  const ck = archive.latestCheckpoint(r.uuid);
  m.resume(r.uuid);
  if (!quiet) console.error(`resuming ${r.uuid} from ${ck ? `step ${ck.step}` : 'the start (no checkpoint)'} (was ${fresh.status})`);
  let lastPrint = 0;
  m.on('event', (_u: string, e) => {
    if (quiet || e.type !== 'progress') return;
    if (Date.now() - lastPrint > 5000 || e.step === e.totalSteps) {
      lastPrint = Date.now();
      console.error(`step ${e.step}/${e.totalSteps}  ETA ${e.etaSec === null ? '—' : formatDuration(e.etaSec)}`);
    }
  });
  const onSigint = () => m.cancel(r.uuid);
  process.once('SIGINT', onSigint);
  try {
    const done = await m.waitFor(r.uuid);
    console.log(JSON.stringify(done.summary ?? { status: done.status, error: done.error }, null, 2));
    return done.status === 'completed' ? 0 : done.status === 'cancelled' ? 130 : done.status === 'diverged' ? 4 : 1;
  } finally {
    process.off('SIGINT', onSigint);
    await m.close();
  }
}

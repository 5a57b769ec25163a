/**
 * What the verbs of `dplab sweep` share: finding a sweep (uuid, prefix or folder), following an
 * executor to the end, and printing member states and the result table.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openArchive, RUN_STATUSES, type Archive, type SweepRecord } from '../../archive/archive.ts';
import { resolveArchivePath } from '../../archive/paths.ts';
import { FINAL_METRICS, formatGroupTable, groupRuns } from '../../runs/aggregate.ts';
import { membersFromArchive, type MemberState, type SweepExecutor } from '../../runs/executor.ts';
import { createExecutor, storedExecutor } from '../../runs/executor-registry.ts';
import { readManifest } from '../../runs/sweep-folder.ts';
import { BASELINE_METRICS, describeEvalProtocol, runEvalProtocol } from '../../common/metrics.ts';
import { ACTIVE_STATUSES } from '../../common/events.ts';
import { COMPARE_METRICS, DEFAULT_COMPARE_METRIC, isCompareMetric, storedBaseline, sweepAxes, SweepDefinitionSchema, type StoredBaseline, type SweepDefinition } from '../../common/sweep.ts';
import { canonicalJson } from '../../common/setup.ts';
import { printable } from '../../common/text.ts';
import { DEFAULT_MAX_SEEDS, compareGroups, fmtNumber, signedNumber, type GroupComparison, type SweepBaseline } from '../../reproduce/compare.ts';
import { LOOK_SCHEDULE } from '../../math/sequential.ts';
import { intOption, UsageError, type ParsedArgs } from '../args.ts';

/** The option every verb takes: which archive file. */
export const ARCHIVE = 'archive';

/** `--by path,path`: the fields the result table groups by (undefined: the sweep's axes). */
export function byOption(a: ParsedArgs): string[] | undefined {
  return a.strings.by?.split(',').map((x) => x.trim()).filter(Boolean);
}

/** The options of the comparison with a baseline (`table`, `watch`, starting a sweep). */
export const COMPARE_OPTIONS = ['baseline', 'metric', 'margin', 'max-seeds'] as const;

/** How the table compares groups with a baseline: none, or the baseline, metric, margin (undefined: seed noise) and the design's N. */
export interface CompareChoice {
  baseline: SweepBaseline;
  metric: keyof typeof COMPARE_METRICS;
  margin: number | undefined;
  maxSeeds: number;
}

/** `--baseline path=value` (value as JSON, else as text), checked against the sweep's axes as a sweep file's baseline is. */
function parseBaseline(text: string, def: SweepDefinition): SweepBaseline {
  const at = text.indexOf('=');
  if (at <= 0) throw new UsageError(`--baseline expects path=value (e.g. predictor.kind=none), got '${printable(text)}'`);
  const path = text.slice(0, at).trim();
  const rawValue = text.slice(at + 1).trim();
  let value: unknown = rawValue;
  try {
    value = JSON.parse(rawValue);
  } catch {
    // a bare word (none, linear) is the text itself
  }
  checkBaseline(def, { path, value });
  return { path, value };
}

/** Refuses a baseline that is not one of the sweep's axis values, naming the axis and value (as a sweep file's is). */
function checkBaseline(def: SweepDefinition, baseline: SweepBaseline): void {
  const r = SweepDefinitionSchema.safeParse({ axes: sweepAxes(def), baseline });
  if (!r.success) throw new UsageError(`--baseline: ${r.error.issues.map((i) => i.message).join('; ')}`);
}

/**
 * The comparison the options ask for, with the sweep's stored baseline as default: `--baseline`,
 * `--metric` (one of COMPARE_METRICS), `--margin` (≥ 0; default the seed noise), `--max-seeds`.
 * Null when neither names a baseline.
 */
export function compareChoice(a: ParsedArgs, def: SweepDefinition): CompareChoice | null {
  // A stored baseline is checked again (an archive is input too): a bad one is reported and not used.
  const { baseline: stored, problem } = storedBaseline(def);
  if (problem) console.error(`dplab sweep: the sweep's stored baseline is not used: ${problem}`);
  const baseline = a.strings.baseline !== undefined ? parseBaseline(a.strings.baseline, def) : stored ? { path: stored.path, value: stored.value } : null;
  const metric = a.strings.metric ?? stored?.metric ?? DEFAULT_COMPARE_METRIC;
  if (!isCompareMetric(metric)) throw new UsageError(`--metric: '${printable(metric)}' is not a metric a sweep compares (one of ${Object.keys(COMPARE_METRICS).join(', ')})`);
  let margin = stored?.margin;
  if (a.strings.margin !== undefined) {
    margin = Number(a.strings.margin);
    if (a.strings.margin.trim() === '' || !Number.isFinite(margin) || margin < 0) throw new UsageError(`--margin must be a number ≥ 0, got '${printable(a.strings.margin)}'`);
  }
  // The design's N is capped where the schedule ends: its boundaries are simulated per design (200,000 sequences of N).
  const maxSeeds = intOption(a, 'max-seeds', 3, LOOK_SCHEDULE.at(-1)!) ?? DEFAULT_MAX_SEEDS;
  if (!baseline) {
    const given = ['metric', 'margin', 'max-seeds'].filter((o) => a.strings[o] !== undefined);
    if (given.length) throw new UsageError(`${given.map((o) => `--${o}`).join(', ')} compare groups with a baseline: name one with --baseline path=value (or in the sweep file)`);
    return null;
  }
  return { baseline, metric, margin, maxSeeds };
}

/** The choice as the sweep stores it (`baseline` of its definition): path, value, metric and the margin when one was set. */
export function storedChoice(c: CompareChoice): StoredBaseline {
  return { path: c.baseline.path, value: c.baseline.value, metric: c.metric, ...(c.margin !== undefined ? { margin: c.margin } : {}) };
}

/** The axes of a stored sweep, as the default grouping of its table. */
export function axesOf(s: SweepRecord): string[] {
  return sweepAxes(s.definition as SweepDefinition).map((x) => x.path);
}

/**
 * Opens the archive, finds the one sweep the verb names (uuid, unique uuid prefix or sweep folder),
 * runs `fn` and closes the archive. `create`: verbs that follow a cluster sweep may start from an
 * empty archive, `table` reads only.
 */
export async function withSweep<T>(a: ParsedArgs, verb: string, create: boolean, fn: (archive: Archive, s: SweepRecord) => T | Promise<T>): Promise<T> {
  if (a.positional.length !== 1) throw new UsageError(`expected one sweep uuid${verb === 'table' ? '' : ' or sweep folder'}`);
  const archive = openArchive(resolveArchivePath(a.strings[ARCHIVE]), { create });
  try {
    return await fn(archive, findSweep(archive, a.positional[0]!));
  } finally {
    archive.close();
  }
}

/** Finds a sweep by uuid, unique uuid prefix, or sweep folder. */
function findSweep(archive: Archive, ref: string): SweepRecord {
  let uuid = ref;
  if (existsSync(join(ref, 'manifest.json'))) {
    uuid = readManifest(ref).sweepUuid;
    if (!archive.getSweep(uuid)) throw new Error(`the sweep in ${ref} is not in ${archive.file}; merge it first with 'dplab archive import ${ref}'`);
  } else if (!archive.getSweep(ref) && /^[0-9a-f-]{4,}$/i.test(ref)) {
    const hits = archive.listSweeps().filter((s) => s.uuid.startsWith(ref.toLowerCase()));
    if (hits.length > 1) throw new Error(`'${ref}' matches ${hits.length} sweeps; give more of the uuid`);
    if (hits.length === 1) uuid = hits[0]!.uuid;
  }
  const s = archive.getSweep(uuid);
  if (!s) throw new Error(`no sweep ${ref} in ${archive.file}`);
  return s;
}

/**
 * A sweep that came from another archive: its folder and job are not this lab's to read, requeue or
 * cancel, so `status` prints the members as archived and `watch`/`cancel` refuse (exit 1). Undefined
 * for a sweep of this archive.
 */
export function importedSweep(archive: Archive, s: SweepRecord, verb: 'status' | 'watch' | 'cancel', json: boolean): number | undefined {
  const { stored, imported } = storedExecutor(s.definition);
  if (!imported) return undefined;
  if (verb !== 'status') {
    console.error(
      `dplab sweep ${verb}: sweep ${s.uuid} came from another archive; its folder ${String(stored.folder ?? '(none)')} and Slurm job ${String(stored.jobId ?? '(none)')} are not followed or cancelled from here (merge its finished shards with 'dplab archive import FOLDER')`,
    );
    return 1;
  }
  printStates(membersFromArchive(archive, s.uuid), json);
  return 0;
}

/** The executor a sweep was started with, rebuilt from what it stored; a cluster executor is closed after `fn`. */
export async function withStoredExecutor<T>(archive: Archive, s: SweepRecord, fn: (executor: SweepExecutor, stored: Record<string, unknown>) => Promise<T>): Promise<T> {
  const { kind, stored } = storedExecutor(s.definition);
  const executor = await createExecutor(kind, archive, s.uuid, {}, stored);
  try {
    return await fn(executor, stored);
  } finally {
    // A local sweep's trainers belong to the process that started it: closing would stop nothing here.
    if (kind !== 'local') await executor.close();
  }
}

/** Follows an executor to the end, printing each member that finishes, then the result table (not between rounds: `noTable`). */
export async function followWith(archive: Archive, executor: SweepExecutor, sweepUuid: string, total: number, quiet: boolean, by: string[], json: boolean, choice: CompareChoice | null = null, noTable = false): Promise<number> {
  let finished = 0;
  const done = new Set<string>();
  const controller = new AbortController();
  const onSigint = () => {
    if (executor.kind === 'local') console.error('cancelling the sweep…');
    else console.error(`stopped following; the sweep goes on (dplab sweep watch ${sweepUuid}, or dplab sweep cancel ${sweepUuid})`);
    if (executor.kind === 'local') void executor.cancel();
    else controller.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    const states = await executor.follow((m) => {
      if (quiet) return;
      if (ACTIVE_STATUSES.has(m.status)) {
        if (executor.kind !== 'local' && m.detail) console.error(`          ${m.detail.split('\n')[0]}  ${printable(m.name ?? m.runUuid)}${m.step !== null && m.totalSteps ? ` ${m.step}/${m.totalSteps}` : ''}`);
        return;
      }
      if (done.has(m.runUuid)) return;
      done.add(m.runUuid);
      finished++;
      console.error(`[${finished}/${total}] ${m.status.padEnd(11)} ${printable(m.name ?? m.runUuid)}${m.status !== 'completed' && m.detail ? `\n${m.detail}` : ''}`);
    }, controller.signal);
    if (controller.signal.aborted) return 130;
    if (!noTable) printTable(archive, sweepUuid, by, json, choice);
    return states.some((m) => m.status === 'failed' || m.status === 'interrupted') ? 1 : 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** One line per member (index, status, progress, name, detail) and the count of each status. */
export function printStates(states: MemberState[], json: boolean): void {
  if (json) {
    console.log(JSON.stringify(states, null, 2));
    return;
  }
  for (const m of states) {
    const prog = m.step !== null && m.totalSteps ? `${m.step}/${m.totalSteps}` : '';
    console.log(`${String(m.idx).padStart(4)}  ${m.status.padEnd(10)} ${prog.padEnd(11)} ${printable(m.name ?? m.runUuid)}${m.detail ? `  ${m.detail.replace(/\n/g, '\n        ')}` : ''}`);
  }
  const count = (st: string) => states.filter((m) => m.status === st).length;
  console.log(RUN_STATUSES.filter((x) => count(x)).map((x) => `${count(x)} ${x}`).join(' · '));
}

/** The comparison as text: per group, its pairs, mean paired difference, repeated interval, margin and verdict. */
export function formatComparison(groups: readonly GroupComparison[], by: readonly string[], choice: CompareChoice): string {
  const better = COMPARE_METRICS[choice.metric] === 'greater' ? 'higher' : 'lower';
  const head = `against ${choice.baseline.path}=${printable(typeof choice.baseline.value === 'string' ? choice.baseline.value : canonicalJson(choice.baseline.value))} on ${choice.metric} (${better} is better), paired by seed, group-sequential design up to ${choice.maxSeeds} seeds; margin ${choice.margin !== undefined ? fmtNumber(choice.margin) : 'per group: the seed noise (std over seeds of its baseline group)'}:`;
  const header = [...by, 'pairs', 'difference', 'repeated CI', 'margin', 'verdict'];
  const body = groups.map((g) => {
    const key = by.map((p) => (typeof g.key[p] === 'string' ? printable(g.key[p] as string) : canonicalJson(g.key[p])));
    if (g.isBaseline) return [...key, '—', '—', '—', '—', 'baseline'];
    const d = g.difference;
    const ci = d?.ci ? `${Math.round(d.level * 100)}% [${signedNumber(d.ci[0])}, ${signedNumber(d.ci[1])}]` : '—';
    return [...key, String(g.pairs.length), d ? signedNumber(d.mean) : '—', ci, fmtNumber(g.margin), g.word];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [head, line(header), ...body.map(line)].join('\n');
}

/** The result table: mean ± std across seeds per group, the same groups at random init, the protocols, and the comparison with the baseline when one is chosen. */
export function printTable(archive: Archive, sweepUuid: string, by: string[], json: boolean, choice: CompareChoice | null = null): void {
  const runs = archive.listRuns({ sweep: sweepUuid, order: 'oldest' });
  const rows = groupRuns(runs.map((r) => ({ uuid: r.uuid, status: r.status, setup: r.setup, summary: r.summary as unknown as Record<string, unknown> | null })), by);
  // The same groups at random init (each run's step-0 evaluation), and the protocols measured with.
  const withBaseline = runs.filter((r) => r.summary?.baseline);
  const baseline = withBaseline.length
    ? groupRuns(withBaseline.map((r) => ({ uuid: r.uuid, status: r.status, setup: r.setup, summary: r.summary!.baseline as unknown as Record<string, unknown> })), by, BASELINE_METRICS)
    : null;
  const protocols = [...new Set(runs.map((r) => describeEvalProtocol(runEvalProtocol(r))))];
  const comparison = choice ? sweepComparison(runs, by, choice) : null;
  if (json) console.log(JSON.stringify({ sweep: sweepUuid, by, groups: rows, baseline, protocols, ...(choice ? { comparison: { ...choice, direction: COMPARE_METRICS[choice.metric], groups: comparison } } : {}) }, null, 2));
  else {
    console.log(formatGroupTable(rows, by, FINAL_METRICS));
    if (baseline) console.log(`\nrandom init (step 0, before any update), same groups:\n${formatGroupTable(baseline, by, BASELINE_METRICS)}`);
    if (comparison) console.log(`\n${formatComparison(comparison, by, choice!)}`);
    console.log(protocols.length === 1 ? `protocol: ${protocols[0]}` : `protocols differ (probe and kNN not comparable across them): ${protocols.join(' | ')}`);
  }
}

/** The sweep's runs against the chosen baseline (compare.ts), groups in the order of the means table. */
export function sweepComparison(runs: readonly { status: string; setup: unknown; summary: unknown }[], by: string[], choice: CompareChoice): GroupComparison[] {
  if (!by.includes(choice.baseline.path)) throw new UsageError(`--baseline ${choice.baseline.path} is not one of the grouping fields (${by.join(', ')}); add it to --by`);
  const groups = compareGroups(
    runs.map((r) => ({ status: r.status, setup: r.setup, summary: r.summary as Record<string, unknown> | null })),
    { by, baseline: choice.baseline, metric: choice.metric, direction: COMPARE_METRICS[choice.metric], margin: choice.margin, maxSeeds: choice.maxSeeds },
  );
  const order = groupRuns(runs.map((r, i) => ({ uuid: String(i), status: r.status, setup: r.setup, summary: null })), by, []).map((g) => canonicalJson(by.map((p) => g.key[p])));
  return [...groups].sort((p, q) => order.indexOf(canonicalJson(by.map((k) => p.key[k]))) - order.indexOf(canonicalJson(by.map((k) => q.key[k]))));
}

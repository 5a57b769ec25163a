/**
 * `dplab sweep <sweep.json>`: expands an ablation grid (base setup × axes × seeds), reports every
 * invalid combination before anything starts, runs the members through the run manager, and prints
 * the result table (mean ± std across seeds of the final metrics, grouped by the axes).
 * `dplab sweep table <sweep-uuid>` prints the table of a sweep already in the archive.
 */
import { readFileSync } from 'node:fs';
import { openArchive, type Archive } from '../archive/archive.ts';
import { resolveArchivePath } from '../archive/paths.ts';
import { expandSweep, sweepAxes, type SweepDefinition } from '../spec/sweep.ts';
import { createSweepRuns } from '../runs/sweep.ts';
import { FINAL_METRICS, formatGroupTable, groupRuns } from '../runs/aggregate.ts';
import { parseArgs } from './args.ts';

const HELP = `usage: dplab sweep <sweep.json> [--dry-run] [--concurrency N] [--backend NAME]
                   [--checkpoint-every N] [--by path,path] [--archive FILE]
       dplab sweep table <sweep-uuid> [--by path,path] [--json] [--archive FILE]

sweep.json: { "name": "...", "base": { setup }, "axes": { "optim.lr": [0.01, 0.1], ... }, "seeds": 3 }
(axes may also be a list of { "path": ..., "values": [...] }; seeds a count or a list of seeds).
The result table groups runs by the axes (or --by fields) with mean ± std across seeds.`;

/** The `sweep` sub-command. */
export async function sweepCommand(args: string[]): Promise<number> {
  const a = parseArgs(args, { string: ['archive', 'concurrency', 'backend', 'checkpoint-every', 'by'], boolean: ['help', 'dry-run', 'json', 'quiet'] });
  if (a.flags.help || a.positional.length === 0) {
    console.log(HELP);
    return a.flags.help ? 0 : 2;
  }
  if (a.error) {
    console.error(`dplab sweep: ${a.error}`);
    return 2;
  }
  const by = a.strings.by?.split(',').map((x) => x.trim()).filter(Boolean);
  if (a.positional[0] === 'table') {
    if (a.positional.length !== 2) {
      console.error('dplab sweep table: expected one sweep uuid');
      return 2;
    }
    let archive: Archive | undefined;
    try {
      archive = openArchive(resolveArchivePath(a.strings.archive), { create: false });
      const s = archive.getSweep(a.positional[1]!);
      if (!s) throw new Error(`no sweep ${a.positional[1]} in ${archive.file}`);
      printTable(archive, s.uuid, by ?? sweepAxes(s.definition as SweepDefinition).map((x) => x.path), a.flags.json === true);
      return 0;
    } catch (e) {
      console.error(`dplab sweep table: ${(e as Error).message}`);
      return 1;
    } finally {
      archive?.close();
    }
  }
  if (a.positional.length !== 1) {
    console.error('dplab sweep: expected one sweep file (dplab sweep --help)');
    return 2;
  }
  const file = a.positional[0]!;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    console.error(`dplab sweep: cannot read ${file}: ${(e as Error).message}`);
    return 2;
  }
  const { members, issues, definition: def } = expandSweep(raw);
  if (issues.length) {
    console.error(`dplab sweep: ${file} has ${issues.length} problem(s); nothing was started:`);
    for (const i of issues.slice(0, 50)) {
      const where = i.idx < 0 ? 'sweep' : `run ${i.idx} (${Object.entries(i.combo).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')})`;
      console.error(`  ${where}: ${i.path || '(setup)'}: ${i.message}`);
    }
    if (issues.length > 50) console.error(`  … ${issues.length - 50} more`);
    return 2;
  }
  const axes = sweepAxes(def!).map((x) => x.path);
  if (a.flags['dry-run']) {
    for (const m of members) console.log(`${String(m.idx).padStart(4)}  ${m.name}`);
    console.log(`${members.length} run(s)`);
    return 0;
  }
  const concurrency = a.strings.concurrency !== undefined ? Number(a.strings.concurrency) : undefined;
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency > 0)) {
    console.error(`dplab sweep: --concurrency must be a positive integer, got '${a.strings.concurrency}'`);
    return 2;
  }
  let archive: Archive | undefined;
  try {
    archive = openArchive(resolveArchivePath(a.strings.archive));
    const { RunManager } = await import('../runs/manager.ts');
    const arc = archive;
    const { sweepId: sweepUuid, runIds: uuids } = createSweepRuns(arc, def!, members);
    const every = a.strings['checkpoint-every'] !== undefined ? Number(a.strings['checkpoint-every']) : undefined;
    const manager = new RunManager(arc, { concurrency, backend: (a.strings.backend ?? 'auto') as 'auto', checkpointEvery: every });
    manager.recover();
    console.error(`sweep ${sweepUuid}: ${members.length} run(s), ${manager.concurrency} at a time`);
    let finished = 0;
    manager.on('status', (uuid: string, status: string) => {
      if (a.flags.quiet || ['queued', 'running'].includes(status)) return;
      finished++;
      const r = arc.getRun(uuid)!;
      console.error(`[${finished}/${members.length}] ${status.padEnd(11)} ${r.name ?? uuid}`);
    });
    const onSigint = () => {
      console.error('cancelling the sweep…');
      for (const u of uuids) manager.cancel(u);
    };
    process.once('SIGINT', onSigint);
    for (const u of uuids) manager.enqueue(u);
    await manager.idle();
    process.off('SIGINT', onSigint);
    await manager.close();
    printTable(arc, sweepUuid, by ?? axes, a.flags.json === true);
    const bad = arc.listRuns({ sweep: sweepUuid, status: ['failed', 'interrupted'] }).length;
    return bad ? 1 : 0;
  } catch (e) {
    console.error(`dplab sweep: ${(e as Error).message}`);
    return 1;
  } finally {
    archive?.close();
  }
}

function printTable(archive: Archive, sweepUuid: string, by: string[], json: boolean): void {
  const runs = archive.listRuns({ sweep: sweepUuid, order: 'oldest' });
  const rows = groupRuns(runs.map((r) => ({ uuid: r.uuid, status: r.status, setup: r.setup, summary: r.summary as unknown as Record<string, unknown> | null })), by);
  if (json) console.log(JSON.stringify({ sweep: sweepUuid, by, groups: rows }, null, 2));
  else console.log(formatGroupTable(rows, by, FINAL_METRICS));
}

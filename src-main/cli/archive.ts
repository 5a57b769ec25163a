/**
 * `dplab archive check|import|path`: the archive file itself — its integrity and schema version,
 * merging another archive (or JSON run bundles) into it, and where it lives.
 */
import { lstatSync, readFileSync, statSync } from 'node:fs';
import { ArchiveError, openArchive, SCHEMA_VERSION, verifyArchiveFile } from '../archive/archive.ts';
import { importArchive, mergeShard } from '../archive/merge.ts';
import { folderPaths, memberShard, readManifest } from '../runs/sweep-folder.ts';
import { importRunBundle } from '../archive/export.ts';
import { resolveArchivePath } from '../archive/paths.ts';
import { runVerbs, UsageError, type ParsedArgs, type Verbs } from './args.ts';

/**
 * What the archive promises across a crash (docs/archive.md, "What a crash loses"): events reach it in
 * batches at most ~250 ms old (runs/batcher.ts), each batch one WAL transaction; checkpoints hold
 * every array in its own precision (engine/checkpoint.ts), so resume is bit-exact.
 */
const CRASH_GUARANTEE =
  'crashes   a kill -9 loses at most the last ~250 ms of a run\'s metrics; the run is marked interrupted (once its owner process is gone) and resumes bit-exactly from its newest checkpoint';

/** The verbs of `dplab archive`, each with its own options. */
export const ARCHIVE_VERBS: Verbs = {
  command: 'archive',
  common: '[--archive FILE]',
  verbs: {
    check: {
      usage: 'check [--json]',
      about: 'Full integrity check (PRAGMA integrity_check), schema version and row counts;\nexit 0 when sound, 1 when damaged, foreign or from a newer lab.',
      options: { string: ['archive'], boolean: ['json'] },
      run: (a) => {
        noArguments(a, 'check');
        return check(resolveArchivePath(a.strings.archive), a.flags.json === true);
      },
    },
    import: {
      usage: 'import OTHER.sqlite|RUNS.json|SWEEP-FOLDER',
      about: "Merges another archive, keyed by run uuid (importing twice adds nothing), or JSON run\nbundles written by 'dplab runs export --format json', or every finished shard of a\ncluster sweep's folder (dplab sweep --executor slurm), e.g. after rsync to a desktop.",
      options: { string: ['archive'] },
      run: (a) => {
        if (a.positional.length !== 1) throw new UsageError('expected one file (another archive or a JSON run bundle) or sweep folder');
        return importOne(resolveArchivePath(a.strings.archive), a.positional[0]!);
      },
    },
    path: {
      usage: 'path',
      about: 'Prints the archive file in use (--archive, else $DPLAB_ARCHIVE, else the data folder).',
      options: { string: ['archive'] },
      run: (a) => {
        noArguments(a, 'path');
        console.log(resolveArchivePath(a.strings.archive));
        return 0;
      },
    },
  },
};

function noArguments(a: ParsedArgs, verb: string): void {
  if (a.positional.length) throw new UsageError(`${verb} takes no arguments (got '${a.positional[0]}')`);
}

/** The `archive` sub-command. */
export function archiveCommand(args: string[]): Promise<number> {
  return runVerbs(ARCHIVE_VERBS, args);
}

function check(file: string, json: boolean): number {
  let schemaVersion: number;
  try {
    ({ schemaVersion } = verifyArchiveFile(file, { quickCheck: false })); // integrity_check below covers it
  } catch (e) {
    if (e instanceof ArchiveError) {
      if (json) console.log(JSON.stringify({ file, ok: false, problem: e.kind, message: e.message }));
      else console.error(`dplab archive check: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const archive = openArchive(file, { readonly: true });
  try {
    const integrity = archive.integrityCheck().filter((m) => m !== 'ok');
    // The shape (tables, columns, indexes) against the version: a sound file can still lack a table.
    const schema = integrity.length ? [] : archive.schemaProblems();
    const problems = [...integrity, ...schema];
    let counts: Record<string, number> = {};
    try {
      if (!schema.length) counts = archive.counts();
    } catch (e) {
      problems.push(`counting rows failed: ${(e as Error).message}`);
    }
    if (json) console.log(JSON.stringify({ file, ok: problems.length === 0, schemaVersion, supported: SCHEMA_VERSION, counts, problems, schemaProblems: schema }));
    else {
      console.log(`archive   ${file}`);
      console.log(`schema    version ${schemaVersion} (this lab: ${SCHEMA_VERSION})${schema.length ? `, WRONG SHAPE: ${schema.slice(0, 10).join('; ')}` : ', shape ok'}`);
      console.log(`integrity ${integrity.length ? `DAMAGED: ${integrity.slice(0, 10).join('; ')}` : 'ok'}`);
      if (Object.keys(counts).length) console.log(Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(' · '));
      console.log(CRASH_GUARANTEE);
    }
    return problems.length ? 1 : 0;
  } finally {
    archive.close();
  }
}

/**
 * Merges every finished shard of a cluster sweep's folder (copied here with rsync, say): for each
 * member of the manifest, only that member's run (see mergeShard); unfinished and refused shards are
 * named, and the counts are what was actually merged.
 */
function importFolder(file: string, folder: string): number {
  const manifest = readManifest(folder); // says plainly when this is not a sweep folder
  const archive = openArchive(file);
  try {
    let added = 0;
    let present = 0;
    let ignored = 0;
    const unfinished: number[] = [];
    const refused: string[] = [];
    for (const m of manifest.members) {
      if (!lstatSync(folderPaths(folder).shard(m.idx), { throwIfNoEntry: false })) continue; // the task has not started
      try {
        const { file: shard, member } = memberShard(folder, m.idx, manifest);
        const r = mergeShard(archive, shard, member);
        ignored += r.ignoredRuns;
        if (r.result === 'added') added++;
        else if (r.result === 'present') present++;
        else unfinished.push(m.idx);
      } catch (e) {
        // A crafted or damaged shard, or one copied while its task was writing it: the others still come in.
        refused.push(`member ${m.idx}: ${(e as Error).message}`);
      }
    }
    console.log(
      `imported ${added} run(s) from the sweep folder ${folder}; ${present} already present` +
        `${unfinished.length ? `; ${unfinished.length} not finished (members ${unfinished.join(', ')}): import again once they are` : ''}` +
        `${refused.length ? `; ${refused.length} shard(s) refused` : ''}${ignored ? `; ${ignored} other run(s) found in the shards ignored (a shard brings only its member's run)` : ''}`,
    );
    for (const u of refused) console.error(`dplab archive import: refused the shard of ${u}`);
    return refused.length ? 1 : 0;
  } finally {
    archive.close();
  }
}

function importOne(file: string, other: string): number {
  if (statSync(other).isDirectory()) return importFolder(file, other);
  const archive = openArchive(file);
  try {
    const head = readFileSync(other).subarray(0, 16).toString('latin1');
    if (head.startsWith('SQLite format 3')) {
      const r = importArchive(archive, other);
      console.log(`imported ${r.runsAdded} run(s) and ${r.sweepsAdded} sweep(s) from ${other}; ${r.runsSkipped} already present`);
      return 0;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(other, 'utf8'));
    } catch {
      throw new Error(`${other} is neither an SQLite archive nor a JSON run bundle`);
    }
    const bundles: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
    let added = 0;
    for (const b of bundles) if (importRunBundle(archive, b)) added++;
    console.log(`imported ${added} run(s) from ${other}; ${bundles.length - added} already present`);
    return 0;
  } finally {
    archive.close();
  }
}

// npm test: mostly waits (on the Slurm scheduler and the tasks' status files: its own process computes under a third of its wall time, its jobs train tiny setups, 2026-12-08)
// Issue 21 item 1 on the real cluster: a sweep's name with a line feed once ran a command on the
// compute node (the rest of the name, on its own line of job.sh) and sbatch then ignored every
// #SBATCH line (no array, no --output, no time limit). Hostile names and options go in through the
// CLI and, bypassing the schema, straight to the executor: no marker file may appear, and Slurm
// must show each #SBATCH line in effect (held array 0-1, time limit, partition, comment, memory,
// each task's log where --output says).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openArchive } from '../../src-main/archive/archive.ts';
import { slurmExecutor } from '../../src-main/runs/executor-slurm.ts';
import { folderPaths, readManifest } from '../../src-main/runs/sweep-folder.ts';
import { expandSweep } from '../../src-main/common/sweep.ts';
import { problem, skip, dir, dplab, tiny, squeueTasks, until } from './helpers.ts';

/** A member that fails at once on the node (its dataset does not exist): the test needs the task to start, not to train. */
const base = { ...tiny(2), data: { dataset: 'no-such-dataset' } };
const marker = (what: string) => join(dir, `pwned-${what}`);

/** `scontrol show job` as one record per job or array task: field → value. */
function jobRecords(jobId: string): Record<string, string>[] {
  const r = spawnSync('scontrol', ['show', 'job', jobId], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .split(/\n\s*\n/)
    .filter((b) => b.trim())
    .map((b) => Object.fromEntries([...b.matchAll(/(\w[\w/:]*)=(\S*)/g)].map((m) => [m[1]!, m[2]!])));
}

/** Slurm holds the array as the script's #SBATCH lines asked; releases it; waits for it; checks every task's record and log. */
async function checkJob(folder: string, want: { timeLimit: string; memory: string; comment: string }): Promise<void> {
  const jobId = readManifest(folder).jobId!;
  const held = jobRecords(jobId);
  assert.equal(held.length, 1, JSON.stringify(held));
  assert.equal(held[0]!.JobState, 'PENDING', '--hold took effect');
  assert.equal(held[0]!.Reason, 'JobHeldUser');
  assert.equal(held[0]!.ArrayTaskId, '0-1', '--array took effect');
  assert.equal(held[0]!.TimeLimit, want.timeLimit, '--time took effect');
  assert.equal(held[0]!.Partition, 'debug');
  assert.equal(held[0]!.MinMemoryNode, want.memory, '--mem took effect');
  assert.equal(held[0]!.Comment, want.comment, 'the sbatch argument took effect');
  assert.match(held[0]!.JobName!, /^dplab-[\w.-]+$/);
  assert.equal(spawnSync('scontrol', ['release', jobId]).status, 0);
  await until(`job ${jobId} to leave the queue`, () => squeueTasks(jobId).length === 0, 180_000);
  const tasks = jobRecords(jobId).sort((a, b) => Number(a.ArrayTaskId) - Number(b.ArrayTaskId));
  assert.deepEqual(tasks.map((t) => t.ArrayTaskId), ['0', '1']);
  for (const t of tasks) {
    assert.equal(t.StdOut, join(folder, 'logs', `${t.ArrayTaskId}.log`), '--output took effect');
    assert.equal(t.TimeLimit, want.timeLimit);
  }
  assert.deepEqual(readdirSync(join(folder, 'logs')).sort(), ['0.log', '1.log']);
  assert.deepEqual(readdirSync(dir).filter((f) => /^slurm-\d+/.test(f)), [], 'no output in sbatch\'s default place');
}

test('a sweep name with a line feed is refused before anything reaches Slurm; shell-hostile names and sbatch options run nothing', { skip, timeout: 400_000 }, async () => {
  assert.equal(problem, null);
  const lab = join(dir, 'inject.sqlite');

  // 1. A line feed in the name: refused at the schema, naming the character; nothing submitted.
  const nl = join(dir, 'inject-nl.json');
  writeFileSync(nl, JSON.stringify({ name: `x\ntouch ${marker('nl')} #`, base, seeds: 2 }));
  const f1 = join(dir, 'inject-nl-folder');
  const r1 = await dplab(['sweep', nl, '--executor', 'slurm', '--archive', lab, '--folder', f1, '--sbatch-arg=--hold', '--detach']);
  if (existsSync(folderPaths(f1).manifest) && readManifest(f1).jobId) await until('the submitted job to end', () => squeueTasks(readManifest(f1).jobId!).length === 0, 120_000);
  assert.equal(existsSync(marker('nl')), false, 'the name ran a command on the node');
  assert.equal(r1.code, 2, r1.err);
  assert.match(r1.err, /name: contains a control character U\+000A \(line feed\) at position 2/);
  assert.equal(existsSync(f1), false, 'no sweep folder for a refused sweep');

  // 2. An sbatch option from a shared sweep file that would run a script on the node (BASH_ENV) is refused.
  const evil = join(dir, 'evil.sh');
  writeFileSync(evil, `touch ${marker('bashenv')}\n`);
  const ev = join(dir, 'inject-env.json');
  writeFileSync(ev, JSON.stringify({ name: 'env', base, seeds: 2, slurm: { sbatchArgs: [`--export=ALL,BASH_ENV=${evil}`] } }));
  const f2 = join(dir, 'inject-env-folder');
  const r2 = await dplab(['sweep', ev, '--executor', 'slurm', '--archive', lab, '--folder', f2, '--detach']);
  if (existsSync(folderPaths(f2).manifest) && readManifest(f2).jobId) await until('the submitted job to end', () => squeueTasks(readManifest(f2).jobId!).length === 0, 120_000);
  assert.equal(existsSync(marker('bashenv')), false, 'an sbatch argument ran a script on the node');
  assert.notEqual(r2.code, 0);
  assert.match(r2.err, /--export is not one of the options a sweep may add/);

  // 3. A name every shell would choke on, but without control characters: accepted, and inert.
  const name = `$(touch ${marker('subst')}) \`touch ${marker('tick')}\` '; touch ${marker('quote')}; ' "; touch ${marker('dq')} # %a \\`;
  const sh = join(dir, 'inject-sh.json');
  writeFileSync(sh, JSON.stringify({ name, base, seeds: 2 }));
  const f3 = join(dir, 'inject-sh-folder');
  const r3 = await dplab(['sweep', sh, '--executor', 'slurm', '--archive', lab, '--folder', f3, '--partition', 'debug', '--time', '7', '--mem', '100M', '--sbatch-arg=--hold', '--sbatch-arg=--comment=dplab-inject-3', '--detach']);
  assert.equal(r3.code, 0, r3.err);
  await checkJob(f3, { timeLimit: '00:07:00', memory: '100M', comment: 'dplab-inject-3' });
  for (const w of ['subst', 'tick', 'quote', 'dq']) assert.equal(existsSync(marker(w)), false, `the name ran "touch ${marker(w)}"`);
});

test('the executor itself escapes a name with line breaks and a fake #SBATCH line (schema bypassed): nothing runs, every #SBATCH line holds', { skip, timeout: 300_000 }, async () => {
  assert.equal(problem, null);
  const x = expandSweep({ name: 'bypass', base, seeds: 2 });
  assert.deepEqual(x.issues, []);
  // (A NUL would be refused by sbatch itself; the unit test of the writer covers it.)
  const name = `a\rb\u2028c\ntouch ${marker('bypass')} #\n#SBATCH --array=0-99\ntouch ${marker('bypass2')}`;
  const folder = join(dir, 'inject-bypass-folder');
  process.chdir(dir); // sbatch's default output (slurm-<id>.out) would land here, where checkJob looks
  const archive = openArchive(join(dir, 'inject-bypass.sqlite'));
  try {
    const exec = slurmExecutor(archive, null, { backend: 'wasm', extra: { folder, partition: 'debug', time: '0:09:00', mem: '120M', 'sbatch-arg': ['--hold', '--comment=dplab-inject-bypass'] } });
    // Hostile options given to the executor directly are refused before anything is written or submitted.
    const launch = {
      sweepUuid: '5d0f1c2e-8a7b-4c3d-9e2f-1a0b9c8d7e6f',
      definition: { ...x.definition!, name },
      members: x.members.map((m, i) => ({ idx: m.idx, runUuid: `5d0f1c2e-8a7b-4c3d-9e2f-1a0b9c8d7e7${i}`, name: `${name} ${i}`, combo: m.combo, setup: m.setup })),
    };
    const bad = slurmExecutor(archive, null, { extra: { folder: join(dir, 'inject-bad-folder'), 'sbatch-arg': [`--comment=x\ntouch ${marker('opt')}`] } });
    await assert.rejects(bad.start(launch), /each value must be one sbatch option/);
    assert.equal(existsSync(join(dir, 'inject-bad-folder')), false);

    await exec.start(launch);
    await checkJob(folder, { timeLimit: '00:09:00', memory: '120M', comment: 'dplab-inject-bypass' });
    assert.equal(existsSync(marker('bypass')), false, 'the name ran a command on the node');
    assert.equal(existsSync(marker('bypass2')), false, 'the name ran a command on the node');
    assert.equal(readFileSync(folderPaths(folder).jobScript, 'utf8').split('\n').filter((l) => l.includes(marker('bypass'))).length, 1, 'the name is on one line of job.sh');
  } finally {
    archive.close();
  }
});

// The Slurm job script writer with hostile strings (issue 21 item 1): a sweep name holding a line
// feed once put a command on its own line of job.sh, run on the compute node, and every #SBATCH line
// after it was ignored. Here each hostile name is written into a script that bash then runs (no
// Slurm needed): no marker file may appear and the #SBATCH block must be whole; hostile options are
// refused, by `slurmOptions` and again by the writer itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arraySpec, jobScript, scriptComment, slurmOptions, SlurmError, type SlurmOptions } from '../../src-main/runs/executor-slurm.ts';
import type { SweepManifest } from '../../src-main/runs/sweep-folder.ts';

const dir = mkdtempSync(join(tmpdir(), 'dplab-jobscript-'));
const marker = join(dir, 'pwned');
const folder = join(dir, 'sweep-folder');
const UUID = '0b6c3f52-27c1-4a8e-9f1d-3a5e8c7d2b10';

const manifest = (name: string | null, members = 3): SweepManifest => ({
  version: 1,
  sweepUuid: UUID,
  name,
  definition: {},
  createdAt: 0,
  jobId: null,
  backend: 'wasm',
  checkpointEvery: 100,
  maxRequeues: 3,
  members: Array.from({ length: members }, (_, idx) => ({ idx, runUuid: UUID, name: `${name} seed=${idx}`, combo: {} })),
});

/** Names that would run `touch marker` if they reached a shell line unescaped. */
const HOSTILE = [
  `x\ntouch ${marker} #`,
  `x\rtouch ${marker}`,
  `x\r\ntouch ${marker}`,
  `x\u0000\ntouch ${marker}`,
  `x\u2028\ntouch ${marker}`,
  `$(touch ${marker})`,
  `\`touch ${marker}\``,
  `'; touch ${marker}; '`,
  `"; touch ${marker}; "`,
  `a; touch ${marker}`,
  `x\n#SBATCH --array=0-99\ntouch ${marker}`,
  `x\\\ntouch ${marker}`,
];

const OPTS: SlurmOptions = { partition: 'debug', time: '5', mem: '1G', cpusPerTask: 1, maxParallel: 2, sbatchArgs: ['--hold', '--constraint=a100|v100'] };
const EXPECTED = [
  `#SBATCH --array=0-2%2`,
  `#SBATCH --output=${folder}/logs/%a.log`,
  '#SBATCH --open-mode=append',
  '#SBATCH --requeue',
  '#SBATCH --signal=B:USR1@120',
  '#SBATCH --partition=debug',
  '#SBATCH --cpus-per-task=1',
  '#SBATCH --mem=1G',
  '#SBATCH --time=5',
  '#SBATCH --hold',
  '#SBATCH --constraint=a100|v100',
];

/** The #SBATCH lines sbatch reads: those of the leading block of comment lines (it stops at the first other line). */
function directives(script: string): string[] {
  const lines = script.split('\n').slice(1);
  const end = lines.findIndex((l) => !l.startsWith('#'));
  return lines.slice(0, end < 0 ? lines.length : end).filter((l) => /^#SBATCH\s/.test(l));
}

test('a hostile sweep name stays inside one comment line: bash runs no command from it and every #SBATCH line is read', () => {
  mkdirSync(folder, { recursive: true });
  for (const name of HOSTILE) {
    const script = jobScript(manifest(name), folder, OPTS);
    // Run it as the node would: the folder has no setups, so it stops at "cannot find the setup" (66).
    const file = join(dir, 'job.sh');
    writeFileSync(file, script);
    const r = spawnSync('bash', [file], { encoding: 'utf8', env: { PATH: process.env.PATH, SLURM_ARRAY_TASK_ID: '0' } });
    assert.equal(existsSync(marker), false, `the name ${JSON.stringify(name)} ran a command`);
    assert.equal(r.status, 66, `${JSON.stringify(name)}: ${r.stderr}`);
    const d = directives(script);
    assert.equal(d.length, EXPECTED.length + 1, `${JSON.stringify(name)}: ${d.join(' | ')}`);
    assert.match(d[0]!, /^#SBATCH --job-name=dplab-[\w.-]+$/);
    assert.deepEqual(d.slice(1), EXPECTED, JSON.stringify(name));
    assert.doesNotMatch(script, /[\u0000\r\u2028]/, `no NUL, CR or line separator in the script for ${JSON.stringify(name)}`);
    assert.match(script.split('\n')[1]!, /^# DirectPred Lab sweep "/);
  }
});

test('the comment form of a name is printable ASCII and reads back as the name', () => {
  for (const name of [...HOSTILE, 'grid é ✓ 𝔸', '']) {
    const c = scriptComment(name);
    assert.match(c, /^[\x20-\x7e]+$/);
    assert.equal(JSON.parse(c), name);
  }
});

test('hostile options are refused by slurmOptions, naming the option and the value', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ partition: 'debug\ntouch x' }, /slurm option partition: expected a Slurm name/],
    [{ account: 'a;b' }, /slurm option account/],
    [{ qos: '$(id)' }, /slurm option qos/],
    [{ mem: '1G\n' }, /slurm option mem/],
    [{ time: '5 --wrap=id' }, /slurm option time/],
    [{ folder: `/tmp/a\ntouch ${marker}` }, /slurm option folder: expected a folder path/],
    [{ folder: "/tmp/it's" }, /slurm option folder/],
    [{ folder: '/tmp/$(id)' }, /slurm option folder/],
    [{ folder: '/tmp/a#b' }, /slurm option folder/],
    [{ sbatchArgs: ['--comment=x\ntouch y'] }, /each value must be one sbatch option.*no spaces/],
    [{ sbatchArgs: ['--constraint=a100 --export=ALL'] }, /no spaces/],
    [{ sbatchArgs: ['--export=ALL,BASH_ENV=/tmp/evil.sh'] }, /--export is not one of the options a sweep may add/],
    [{ sbatchArgs: ['--output=/home/me/.bashrc'] }, /--output is not one of/],
    [{ sbatchArgs: ['--error=/tmp/x'] }, /--error is not one of/],
    [{ sbatchArgs: ['--array=0-99'] }, /--array is not one of/],
    [{ sbatchArgs: ['--chdir=/'] }, /--chdir is not one of/],
    [{ sbatchArgs: ['--wrap=id'] }, /--wrap is not one of/],
    [{ sbatchArgs: ['-x'] }, /one token, --flag or --flag=value, long form/],
    [{ sbatchArgs: ['--comment="a b"'] }, /no spaces, quotes/],
    [{ sbatchArgs: ['--comment=a\u0000b'] }, /control characters/],
    [{ sbatchArgs: [42] }, /not a string/],
  ];
  for (const [block, re] of bad) assert.throws(() => slurmOptions(block), (e: Error) => e instanceof SlurmError && re.test(e.message), JSON.stringify(block));
  // The same through the command-line flags.
  assert.throws(() => slurmOptions(undefined, { 'sbatch-arg': ['--export=NONE'] }), /--sbatch-arg: .*--export is not one of/);
  assert.throws(() => slurmOptions(undefined, { partition: 'a b' }), /--partition: expected a Slurm name/);
  // What clusters need still passes.
  assert.deepEqual(
    slurmOptions({ sbatchArgs: ['--hold', '--gres=gpu:a100:2', '--constraint=[rack1|rack2]', '--mail-user=me@example.org', '--nodelist=node[01-04]'] }).sbatchArgs,
    ['--hold', '--gres=gpu:a100:2', '--constraint=[rack1|rack2]', '--mail-user=me@example.org', '--nodelist=node[01-04]'],
  );
  assert.deepEqual(slurmOptions({ folder: '/scratch/me/dplab-sweeps/grid_1-0b6c3f52', partition: 'gpu-a100', time: '1-02:00:00', mem: '16000M' }), {
    folder: '/scratch/me/dplab-sweeps/grid_1-0b6c3f52',
    partition: 'gpu-a100',
    time: '1-02:00:00',
    mem: '16000M',
  });
});

test('the writer checks every option and the folder again, so options that skipped slurmOptions cannot reach the script', () => {
  const bad: [SlurmOptions, string, RegExp][] = [
    [{ partition: 'debug\ntouch x' }, folder, /partition/],
    [{ account: "a'b" }, folder, /account/],
    [{ qos: 'q`id`' }, folder, /qos/],
    [{ mem: '1G;id' }, folder, /mem/],
    [{ time: '5\n' }, folder, /time/],
    [{ maxParallel: '2\nid' as unknown as number }, folder, /maxParallel/],
    [{ signalSec: -1 }, folder, /signalSec/],
    [{ sbatchArgs: ['--comment=x\ntouch y'] }, folder, /sbatchArgs/],
    [{ sbatchArgs: ['--export=ALL,BASH_ENV=/tmp/evil.sh'] }, folder, /--export is not one of/],
    [{}, `${folder}\ntouch ${marker}`, /folder/],
    [{}, `${folder}/it's`, /folder/],
    [{}, 'relative/folder', /must be an absolute path/],
  ];
  for (const [o, f, re] of bad) assert.throws(() => jobScript(manifest('ok'), f, o), (e: Error) => e instanceof SlurmError && re.test(e.message), `${JSON.stringify(o)} ${JSON.stringify(f)}`);
  assert.throws(() => jobScript({ ...manifest('ok'), sweepUuid: `${UUID}\ntouch ${marker}` }, folder, {}), /is not a uuid/);
  assert.throws(() => jobScript(manifest('ok', 0), folder, {}), /at least one member/);
  assert.equal(existsSync(marker), false);
});

test('the job array has a task only for the members to train: a sweep that reused finished runs skips their indices', () => {
  assert.equal(arraySpec([0, 1, 2, 3]), '0-3');
  assert.equal(arraySpec([1, 3, 4, 5, 9]), '1,3-5,9');
  assert.equal(arraySpec([7]), '7');
  assert.equal(arraySpec([5, 2, 3, 2]), '2-3,5', 'sorted, each once');
  const m = manifest('reuse', 6);
  m.members = m.members.filter((x) => x.idx !== 0 && x.idx !== 2);
  const script = jobScript(m, folder, { maxParallel: 2 });
  assert.match(script, /\n#SBATCH --array=1,3-5%2\n/);
  assert.throws(() => jobScript({ ...m, members: [{ ...m.members[0]!, idx: -1 }] }, folder, {}), /member indices \[-1\] are not non-negative integers/);
  assert.throws(() => jobScript({ ...m, members: [] }, folder, {}), /at least one member/);
});

test('a task sizes its trainer to the CPUs Slurm allocated, read from the job environment', async () => {
  const { allocatedCpus } = await import('../../src-main/runs/slurm-task.ts');
  assert.equal(allocatedCpus({ SLURM_CPUS_PER_TASK: '1', SLURM_CPUS_ON_NODE: '2' }), 1);
  assert.equal(allocatedCpus({ SLURM_CPUS_ON_NODE: '4' }), 4);
  assert.equal(allocatedCpus({}), null);
  // Nothing usable: not a count of CPUs.
  for (const v of ['', '0', '-1', '1.5', '2(x3)', 'all']) assert.equal(allocatedCpus({ SLURM_CPUS_PER_TASK: v }), null, v);
});

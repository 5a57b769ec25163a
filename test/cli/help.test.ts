// `dplab --help` is a new user's map of the command line: its line for a sub-command must name every
// verb that the sub-command's own `--help` lists (it once left out `runs compare`, `data verify`,
// `data formats`, `archive path` and the sweep verbs).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dplab = (...args: string[]) => execFileSync(process.execPath, ['bin/dplab.mjs', ...args], { cwd: ROOT, encoding: 'utf8' });

/** The verbs a sub-command's help lists: the first word of each line indented by exactly two spaces. */
function verbsOf(help: string): string[] {
  return [...help.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]!);
}

test('dplab --help names every verb of runs, data, archive, sweep and reproduce', () => {
  const top = dplab('--help');
  const missing: string[] = [];
  for (const command of ['runs', 'data', 'archive', 'sweep', 'reproduce']) {
    const line = new RegExp(`^ {2}${command}\\s+(.*)$`, 'm').exec(top)?.[1];
    assert.ok(line, `dplab --help has no line for ${command}`);
    const verbs = verbsOf(dplab(command, '--help')).filter((v) => v !== 'task'); // run by Slurm's job script, not by people
    assert.ok(verbs.length >= 3, `${command} --help lists ${verbs.join(', ')}`);
    for (const v of verbs) if (!new RegExp(`(^|[ |:])${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[ |,])`).test(line)) missing.push(`${command} ${v}`);
  }
  assert.deepEqual(missing, []);
});

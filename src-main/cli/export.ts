/**
 * `dplab export luckmatters <setup.json|sweep.json>`: the command line that runs the same setup (or
 * grid, as Hydra multiruns) with the official code, facebookresearch/luckmatters `ssl/real-dataset`,
 * and the fields it has no option for. Pure translation: nothing is trained or written.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from './args.ts';
import { parseSetup, SetupError } from '../common/setup.ts';
import { expandSweep } from '../common/sweep.ts';
import { formatHydraCommand, luckmattersSetup, luckmattersSweep, type HydraCommand, type Unmapped } from '../common/luckmatters.ts';

const HELP = `usage: dplab export luckmatters <setup.json | sweep.json> [--json]

Prints the Hydra command line(s) that run the same setup, or the same grid (python main.py -m …),
with the official code (facebookresearch/luckmatters, ssl/real-dataset; run it from that folder),
then the setup fields that have no counterpart there and the values translated on the way.`;

function print(commands: HydraCommand[], unmapped: Unmapped[], translated: string[], what: string): void {
  console.log(`# ${what} with the official code (facebookresearch/luckmatters, ssl/real-dataset):`);
  for (const c of commands) console.log(formatHydraCommand(c));
  if (translated.length) {
    console.log('\n# Translated on the way:');
    for (const t of translated) console.log(`#   ${t}`);
  }
  if (unmapped.length) {
    console.log('\n# No counterpart in the official code (it keeps its own defaults there):');
    const width = Math.max(...unmapped.map((u) => u.path.length));
    for (const u of unmapped) console.log(`#   ${u.path.padEnd(width)}  ${u.why}`);
  }
}

/** The `export` sub-command. */
export async function exportCommand(args: string[]): Promise<number> {
  const [target, ...rest] = args;
  if (!target || target === '--help' || target === '-h') {
    console.log(HELP);
    return target ? 0 : 2;
  }
  if (target !== 'luckmatters') {
    console.error(`dplab export: unknown target '${target}' (targets: luckmatters)`);
    return 2;
  }
  const a = parseArgs(rest, { boolean: ['json', 'help'] });
  if (a.flags.help) {
    console.log(HELP);
    return 0;
  }
  if (a.error || a.positional.length !== 1) {
    console.error(`dplab export luckmatters: ${a.error ?? 'give one setup or sweep file'}\n\n${HELP}`);
    return 2;
  }
  const file = a.positional[0]!;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    console.error(`dplab export luckmatters: cannot read ${file}: ${err.code ?? err.message}`);
    return 2;
  }
  const isSweep = doc !== null && typeof doc === 'object' && !Array.isArray(doc) && ('axes' in doc || 'base' in doc);
  if (isSweep) {
    const x = expandSweep(doc);
    if (x.issues.length) {
      console.error(`dplab export luckmatters: ${file} is not a valid sweep:`);
      for (const i of x.issues) console.error(`  ${i.idx >= 0 ? `run ${i.idx}: ` : ''}${i.path || '(sweep)'}: ${i.message}`);
      return 2;
    }
    const t = luckmattersSweep(x.members);
    if (a.flags.json) console.log(JSON.stringify({ commands: t.commands.map(formatHydraCommand), overrides: t.commands, unmapped: t.unmapped, translated: t.translated }, null, 2));
    else print(t.commands, t.unmapped, t.translated, `The ${x.members.length} runs of ${file}`);
    return 0;
  }
  try {
    const t = luckmattersSetup(parseSetup(doc));
    const command: HydraCommand = { multirun: false, overrides: t.overrides.map(([k, v]) => [k, [v]]) };
    if (a.flags.json) console.log(JSON.stringify({ commands: [formatHydraCommand(command)], overrides: t.overrides, unmapped: t.unmapped, translated: t.translated }, null, 2));
    else print([command], t.unmapped, t.translated, `The setup ${file}`);
    return 0;
  } catch (e) {
    if (e instanceof SetupError) {
      console.error(`dplab export luckmatters: invalid setup: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

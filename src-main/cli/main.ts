/**
 * `dplab`: the command line of DirectPred Lab. Each sub-command lives in its own file and is loaded
 * only when used, so `dplab theory` never pays for TensorFlow.js start-up.
 */

/** A sub-command: gets its arguments, returns the process exit code. */
export type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  run: { summary: 'train a setup: dplab run <setup.json> [--backend NAME] [--out FILE]', load: async () => (await import('./run.ts')).runCommand },
  theory: { summary: 'simulate the paper\'s linear-network dynamics: dplab theory presets|fixed-points|<preset|params.json>', load: async () => (await import('./theory.ts')).theoryCommand },
  data: { summary: 'datasets: dplab data import|list|rm|verify|formats', load: async () => (await import('./data.ts')).dataCommand },
  runs: { summary: 'the archive\'s runs: dplab runs list|show|compare|export|rm|tag|note|resume|cancel', load: async () => (await import('./runs.ts')).runsCommand },
  sweep: { summary: 'run an ablation grid: dplab sweep <sweep.json>, then status|watch|cancel|table <sweep>', load: async () => (await import('./sweep.ts')).sweepCommand },
  archive: { summary: 'the archive file: dplab archive check|import OTHER.sqlite|RUNS.json|SWEEP-FOLDER|path', load: async () => (await import('./archive.ts')).archiveCommand },
  export: { summary: 'the official code\'s command line for a setup or sweep: dplab export luckmatters <file>', load: async () => (await import('./export.ts')).exportCommand },
  backends: { summary: 'which training backends load here, why not, the GPU adapter, images/s: dplab backends [--json] [--quick]', load: async () => (await import('./backends.ts')).backendsCommand },
  reproduce: { summary: "the paper's claims as experiments with verdicts: dplab reproduce list|run <claim…|all>|report", load: async () => (await import('./reproduce.ts')).reproduceCommand },
  serve: { summary: 'the lab in a browser: dplab serve [--port N] [--host H] [--archive FILE]', load: async () => (await import('./serve.ts')).serveCommand },
};

function usage(): string {
  const lines = ['usage: dplab <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(8)} ${c.summary}`);
  lines.push('', 'dplab <command> --help for details');
  return lines.join('\n');
}

/** Runs the CLI with the given arguments (without `node` and the script path); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const cmd = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined; // 'constructor' is no command
  if (!cmd) {
    console.error(`dplab: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  let run: Command;
  try {
    run = await cmd.load();
  } catch (e) {
    console.error(`dplab: the '${name}' command is not available in this build (${(e as Error).message})`);
    return 1;
  }
  return run(rest);
}

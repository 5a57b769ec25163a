/**
 * What bench/step.ts and bench/vs-pytorch.ts share: one measurement per child process (a thread
 * count is a fresh backend, and a child's figure is not disturbed by the parent's heap), the
 * median, the machine line and writing one section of BENCHMARKS.md.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The JSON line a measuring child prints last: images/s of each timed step. */
export interface Measured {
  rates: number[];
  /** Images per CPU-second of the measuring process, where it reports them. */
  cpuRates?: number[];
}

/** Runs `cmd args` in the repository root and parses its last JSON line; stderr is passed on when `echo`. */
export function runChild(cmd: string, args: string[], echo = false, cwd = `${here}..`): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => {
      err += d;
      if (echo) process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
      if (code !== 0 || !line) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
      else resolve(JSON.parse(line) as Measured);
    });
  });
}

/**
 * Our side, bench/_ours.ts in a fresh process: `mode` step|run at `threads` threads for `steps`
 * timed steps. `root` is another checkout to run instead of this one (a baseline commit).
 */
export function ours(mode: string, threads: number, steps: number, extra: string[] = [], root = `${here}..`): Promise<Measured> {
  return runChild(process.execPath, ['--import', 'tsx', `${root}/bench/_ours.ts`, mode, '--threads', String(threads), '--steps', String(steps), ...extra], extra.includes('--profile'), root);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** CPU model, cores and node version, for the `machine:` line of a section. */
export function machine(): string {
  const model = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return `${model}, ${availableParallelism()} cores available, node ${process.versions.node}`;
}

/** Replaces the section headed `## title` of BENCHMARKS.md by `lines` (or appends it). */
export function writeSection(title: string, lines: string[]): void {
  const file = new URL('../BENCHMARKS.md', import.meta.url);
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const section = [`## ${title}`, '', ...lines, ''].join('\n');
  const start = text.indexOf(`## ${title}\n`);
  if (start >= 0) {
    const next = text.indexOf('\n## ', start + 3);
    text = text.slice(0, start) + section + (next >= 0 ? text.slice(next + 1) : '');
  } else text = text.replace(/\n*$/, '\n\n') + section;
  writeFileSync(file, text);
  console.log(`wrote the "${title}" section of ${fileURLToPath(file)}`);
}

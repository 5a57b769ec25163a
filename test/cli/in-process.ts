/**
 * Runs `dplab ARGS` in the test's own process: src-main/cli/main.ts, what bin/dplab.mjs calls, with
 * `env` set for the call and console/stdio output captured. For cases that only check how the CLI
 * answers its arguments (an exit code and a message): a real `dplab` process pays ~0.5 s of CPU for
 * node + tsx start-up to print one line. Calls must not overlap (the capture is process-wide).
 */
import { main } from '../../src-main/cli/main.ts';

/** What one in-process `dplab` call returned. */
export interface CliResult {
  code: number;
  out: string;
  err: string;
}

let busy = false;

/** `dplab ...args` in this process with `env` overriding process.env for the call. */
export async function dplabInProcess(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  if (busy) throw new Error('dplabInProcess: calls must not overlap');
  busy = true;
  let out = '';
  let err = '';
  const text = (chunk: unknown) => (typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
  const saved = { error: console.error, log: console.log, warn: console.warn, info: console.info, stderr: process.stderr.write, stdout: process.stdout.write };
  const savedEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  console.error = console.warn = (...a: unknown[]) => void (err += `${a.map(String).join(' ')}\n`);
  console.log = console.info = (...a: unknown[]) => void (out += `${a.map(String).join(' ')}\n`);
  process.stderr.write = ((c: unknown) => ((err += text(c)), true)) as typeof process.stderr.write;
  process.stdout.write = ((c: unknown) => ((out += text(c)), true)) as typeof process.stdout.write;
  Object.assign(process.env, env);
  try {
    return { code: await main(args), out, err };
  } finally {
    Object.assign(console, { error: saved.error, log: saved.log, warn: saved.warn, info: saved.info });
    process.stderr.write = saved.stderr;
    process.stdout.write = saved.stdout;
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    busy = false;
  }
}

/**
 * Runs `dplab ARGS` in the test's own process: src-main/cli/main.ts, what bin/dplab.mjs calls, with
 * `env` set for the call and its output captured. For cases that only check how the CLI answers its
 * arguments (an exit code and a message): a real `dplab` process pays ~0.5 s of CPU for node + tsx
 * start-up to print one line. Only writes made inside the call's own async context are captured
 * (AsyncLocalStorage), so the test runner's reporter, which writes to the same stdout whenever
 * its events arrive, passes through untouched. Calls must not overlap (env is process-wide).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { main } from '../../src-main/cli/main.ts';

/** What one in-process `dplab` call returned. */
export interface CliResult {
  code: number;
  out: string;
  err: string;
}

interface Capture {
  out: string;
  err: string;
}

const capture = new AsyncLocalStorage<Capture>();
const text = (chunk: unknown) => (typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));

/** Routes a stream's writes made inside a call to that call's capture; every other write goes through. */
function divert(stream: NodeJS.WriteStream, field: keyof Capture): void {
  const write = stream.write.bind(stream) as (...a: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const c = capture.getStore();
    if (!c) return write(chunk, ...rest);
    c[field] += text(chunk);
    const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    done?.();
    return true;
  }) as typeof stream.write;
}
divert(process.stdout, 'out');
divert(process.stderr, 'err');

let busy = false;

/** `dplab ...args` in this process with `env` overriding process.env for the call. */
export async function dplabInProcess(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  if (busy) throw new Error('dplabInProcess: calls must not overlap');
  busy = true;
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const c: Capture = { out: '', err: '' };
  try {
    const code = await capture.run(c, () => main(args));
    return { code, out: c.out, err: c.err };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    busy = false;
  }
}

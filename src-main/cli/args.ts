/**
 * The sub-commands' argument parser: node:util's parseArgs (strict), behind the small result shape
 * the commands read. Long options only; `--` ends the options.
 */
import { parseArgs as nodeParseArgs, type ParseArgsConfig } from 'node:util';

/** Parsed arguments: positionals, string options, repeated options and boolean flags. */
export interface ParsedArgs {
  positional: string[];
  strings: Record<string, string | undefined>;
  multi: Record<string, string[] | undefined>;
  flags: Record<string, boolean | undefined>;
  /** Set when the arguments are malformed (unknown option, missing value, value given to a flag). */
  error?: string;
}

/** Which options a command takes: single strings, repeatable strings, boolean flags. */
export interface ArgSpec {
  string?: string[];
  multi?: string[];
  boolean?: string[];
}

/** One line naming the problem, from node:util's error (which may span lines and suggest fixes). */
function describe(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const msg = String(err.message ?? e);
  const unknown = /^Unknown option '([^']+)'/.exec(msg);
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) return `unknown option ${unknown[1]}`;
  const missing = /^Option '(--[^ ']+)(?: <value>)?' argument missing/.exec(msg);
  if (missing) return `${missing[1]} needs a value`;
  const ambiguous = /^Option '(--[^ ']+)(?: <value>)?' argument is ambiguous/.exec(msg);
  if (ambiguous) return `${ambiguous[1]} needs a value (to pass one that starts with '-', write ${ambiguous[1]}=VALUE)`;
  const flag = /^Option '(--[^ ']+)'[^.]* does not take an argument/.exec(msg);
  if (flag) return `${flag[1]} is a flag and takes no value`;
  return msg.split('\n')[0]!;
}

/** Parses `--name value`, `--name=value` and `--flag` against the declared options; anything else is an error. */
export function parseArgs(args: string[], spec: ArgSpec): ParsedArgs {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const n of spec.string ?? []) options[n] = { type: 'string' };
  for (const n of spec.multi ?? []) options[n] = { type: 'string', multiple: true };
  for (const n of spec.boolean ?? []) options[n] = { type: 'boolean' };
  // A negative number is a value, not an option: `--sigma2 -0.5` reads as `--sigma2=-0.5`.
  const takesValue = new Set([...(spec.string ?? []), ...(spec.multi ?? [])].map((n) => `--${n}`));
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      joined.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    if (takesValue.has(a) && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      joined.push(`${a}=${next}`);
      i++;
    } else joined.push(a);
  }
  args = joined;
  try {
    const parsed = nodeParseArgs({ args, options, strict: true, allowPositionals: true });
    const out: ParsedArgs = { positional: parsed.positionals, strings: {}, multi: {}, flags: {} };
    const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
    for (const n of spec.string ?? []) if (typeof values[n] === 'string') out.strings[n] = values[n];
    for (const n of spec.multi ?? []) if (Array.isArray(values[n])) out.multi[n] = values[n];
    for (const n of spec.boolean ?? []) if (values[n] === true) out.flags[n] = true;
    return out;
  } catch (e) {
    // Still read the positionals and true flags, so `--help` works beside a bad option; no values.
    const loose = nodeParseArgs({ args, options, strict: false, allowPositionals: true });
    const flags: ParsedArgs['flags'] = {};
    for (const n of spec.boolean ?? []) if (loose.values[n] === true) flags[n] = true;
    return { positional: loose.positionals, strings: {}, multi: {}, flags, error: describe(e) };
  }
}

/** 75 → "1m15s", 3700 → "1h01m". */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '—';
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

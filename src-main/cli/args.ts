/**
 * The sub-commands' argument parser: node:util's parseArgs (strict), behind the small result shape
 * the commands read. Long options only; `--` ends the options.
 */
import { parseArgs as nodeParseArgs, type ParseArgsConfig } from 'node:util';
import { BACKEND_PREFERENCES, type BackendPreference } from '../common/backends.ts';
import { printable } from '../common/text.ts';

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

/** A usage mistake (bad value, missing argument): printed with the verb's usage, exit code 2. */
export class UsageError extends Error {}

/** One verb of a sub-command (`dplab runs list`): its own options, its help, what it does. */
export interface Verb {
  /** Usage after `dplab <command> `, the verb first: `list [--status S[,S]] [--json]`; may span lines. */
  usage: string;
  /** What `--help` adds below the usage (meaning of the options, defaults). */
  about?: string;
  /** Its options; every verb also takes `--help`, and nothing else is accepted. */
  options: ArgSpec;
  /** Runs the verb on its parsed arguments (the verb itself not among the positionals); returns the exit code. */
  run: (a: ParsedArgs) => Promise<number> | number;
}

/** A sub-command made of verbs, each parsed against its own options. */
export interface Verbs {
  /** The sub-command's name (`runs`). */
  command: string;
  verbs: Record<string, Verb>;
  /** The verb taken when the first positional names none; it keeps that positional (`dplab sweep FILE`). */
  fallback?: Verb;
  /** Text after the list of verbs in the sub-command's help. */
  footer?: string;
  /** Options every verb takes, shown once in the help (their spec stays in each verb). */
  common?: string;
  /** Reports an error other than a UsageError (default: `dplab <command> <verb>: message`, exit 1). */
  onError?: (verb: string, e: Error, a: ParsedArgs) => number;
}

/** Every option name of an ArgSpec, with its dashes. */
function optionNames(spec: ArgSpec): string[] {
  return [...(spec.string ?? []), ...(spec.multi ?? []), ...(spec.boolean ?? [])].map((n) => `--${n}`);
}

/** Whether a verb takes the common options (each `--name` the common usage text names). */
function takesCommon(v: Verbs, verb: Verb): boolean {
  const own = optionNames(verb.options);
  return !!v.common && [...v.common.matchAll(/--[a-z][a-z-]*/g)].every((m) => own.includes(m[0]));
}

/** The sub-command's help: each verb's usage, the common options, the footer. */
export function verbsHelp(v: Verbs): string {
  const lines = [`usage: dplab ${v.command} <sub-command> [options]${v.common ? ` ${v.common}` : ''}`, ''];
  for (const verb of [...(v.fallback ? [v.fallback] : []), ...Object.values(v.verbs)]) lines.push(...verb.usage.split('\n').map((l) => `  ${l}`));
  lines.push('', `dplab ${v.command} <sub-command> --help: its options`);
  if (v.footer) lines.push('', v.footer);
  return lines.join('\n');
}

/** One verb's usage (lines after the first continue its options); with `about`, its whole help. */
function verbHelp(v: Verbs, verb: Verb, about = false): string {
  const [first, ...more] = verb.usage.split('\n');
  const lines = [`usage: dplab ${v.command} ${first}${takesCommon(v, verb) ? ` ${v.common}` : ''}`, ...more.map((l) => `       ${l}`)];
  if (about && verb.about) lines.push('', verb.about);
  return lines.join('\n');
}

/** Index of the first positional argument of `args`, reading options as the verbs declare them (-1: none). */
function firstPositional(args: string[], v: Verbs): number {
  if (args[0] !== undefined && !args[0].startsWith('-')) return 0;
  const all = [...(v.fallback ? [v.fallback] : []), ...Object.values(v.verbs)];
  const takesValue = new Set(all.flatMap((x) => [...(x.options.string ?? []), ...(x.options.multi ?? [])]).map((n) => `--${n}`));
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return i + 1 < args.length ? i + 1 : -1;
    if (!a.startsWith('-') || a === '-') return i;
    if (takesValue.has(a)) i++; // its value follows
  }
  return -1;
}

/**
 * Runs a sub-command made of verbs: finds the verb (options may stand before it), parses the rest
 * strictly against that verb's options only, so an option of another verb or a misspelt one is
 * refused naming the verb, and `--help` prints only that verb's options. Exit codes: the verb's,
 * 2 for a usage error, 1 for any other error.
 */
export async function runVerbs(v: Verbs, args: string[]): Promise<number> {
  const at = firstPositional(args, v);
  const word = at < 0 ? undefined : args[at]!;
  const named = word !== undefined && Object.hasOwn(v.verbs, word); // 'constructor' is no verb
  const wantsHelp = args.slice(0, at < 0 ? args.length : at).some((x) => x === '--help' || x === '-h');
  if (word === undefined || (!named && (word === 'help' || !v.fallback))) {
    const help = word === 'help' || wantsHelp;
    if (word !== undefined && !help) console.error(`dplab ${v.command}: unknown sub-command '${printable(word)}'\n`);
    (help ? console.log : console.error)(verbsHelp(v));
    return help ? 0 : 2;
  }
  const verb = named ? v.verbs[word]! : v.fallback!;
  const name = named ? word : verb.usage.split(' ')[0]!;
  const rest = named ? [...args.slice(0, at), ...args.slice(at + 1)] : args;
  const a = parseArgs(rest, { ...verb.options, boolean: [...(verb.options.boolean ?? []), 'help'] });
  if (a.flags.help) {
    console.log(verbHelp(v, verb, true));
    return 0;
  }
  const who = named ? `dplab ${v.command} ${name}` : `dplab ${v.command}`;
  if (a.error) {
    const unknown = /^unknown option (\S+)$/.exec(a.error)?.[1];
    const own = optionNames(verb.options);
    const elsewhere = unknown ? Object.entries(v.verbs).filter(([, x]) => optionNames(x.options).includes(unknown)).map(([n]) => `'${v.command} ${n}'`) : [];
    if (unknown && v.fallback && verb !== v.fallback && optionNames(v.fallback.options).includes(unknown)) elsewhere.unshift(`'${v.command} ${v.fallback.usage.split(' ')[0]}'`);
    const hint = unknown ? ` (${elsewhere.length ? `it belongs to ${elsewhere.join(', ')}; ` : ''}${named ? name : `'${v.command} ${name}'`} takes ${own.length ? own.join(', ') : 'no options'})` : '';
    console.error(`${who}: ${printable(a.error)}${hint}\n\n${verbHelp(v, verb)}`);
    return 2;
  }
  delete a.flags.help;
  try {
    return await verb.run(a);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${who}: ${e.message}\n\n${verbHelp(v, verb)}`);
      return 2;
    }
    if (v.onError) return v.onError(name, e as Error, a);
    console.error(`${who}: ${(e as Error).message}`);
    return 1;
  }
}

/**
 * An integer option from min to max (undefined when not given); anything else is a UsageError
 * naming the option and the value.
 */
export function intOption(a: ParsedArgs, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = a.strings[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? (min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer from ${min}`) : `an integer from ${min} to ${max}`;
    throw new UsageError(`--${name} must be ${range}, got '${raw}'`);
  }
  return n;
}

/**
 * A sub-command without verbs (`serve`, `backends`, `run`): parses `args` strictly against `spec`
 * plus --help. Prints the help (exit 0) or the problem and the help (exit 2) and returns that exit
 * code; else the parsed arguments, with exactly `positionals.count` positionals.
 */
export function parseCommand(command: string, args: string[], spec: ArgSpec, help: string, positionals: { count: number; what?: string } = { count: 0 }): ParsedArgs | number {
  const a = parseArgs(args, { ...spec, boolean: [...(spec.boolean ?? []), 'help'] });
  if (a.flags.help) {
    console.log(help);
    return 0;
  }
  const wrong = a.positional.length !== positionals.count && (positionals.count ? `expected ${positionals.what}` : `unexpected argument '${printable(a.positional[0]!)}'`);
  if (a.error || wrong) {
    console.error(`dplab ${command}: ${a.error ? printable(a.error) : wrong}\n\n${help}`);
    return 2;
  }
  delete a.flags.help;
  return a;
}

/** `--backend` (default auto); a name that is no backend is a UsageError listing the names. */
export function backendOption(a: ParsedArgs): BackendPreference {
  const b = (a.strings.backend ?? 'auto') as BackendPreference;
  if (!BACKEND_PREFERENCES.includes(b)) throw new UsageError(`unknown backend '${b}': --backend must be one of ${BACKEND_PREFERENCES.join(', ')}`);
  return b;
}

/** 75 → "1m15s", 3700 → "1h01m". */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '—';
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

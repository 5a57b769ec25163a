/** A small, strict argument parser shared by the sub-commands (unknown flags are errors). */

/** Parsed arguments: positionals, string options, repeated options and boolean flags. */
export interface ParsedArgs {
  positional: string[];
  strings: Record<string, string | undefined>;
  multi: Record<string, string[] | undefined>;
  flags: Record<string, boolean | undefined>;
  /** Set when the arguments are malformed (unknown flag, missing value). */
  error?: string;
}

/** Parses `--name value`, `--name=value` and `--flag` forms against the declared option names. */
export function parseArgs(args: string[], spec: { string?: string[]; multi?: string[]; boolean?: string[] }): ParsedArgs {
  const out: ParsedArgs = { positional: [], strings: {}, multi: {}, flags: {} };
  const strings = new Set(spec.string ?? []);
  const multi = new Set(spec.multi ?? []);
  const bools = new Set(spec.boolean ?? []);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      out.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq > 0 ? eq : undefined);
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (bools.has(name)) {
      out.flags[name] = inline === undefined ? true : inline !== 'false';
      continue;
    }
    if (!strings.has(name) && !multi.has(name)) {
      out.error ??= `unknown option --${name}`;
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) {
      out.error ??= `--${name} needs a value`;
      continue;
    }
    if (multi.has(name)) (out.multi[name] ??= []).push(value);
    else out.strings[name] = value;
  }
  return out;
}

/** 75 → "1m15s", 3700 → "1h01m". */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '—';
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

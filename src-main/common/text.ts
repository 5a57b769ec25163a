/**
 * Free-text names (a run's, a sweep's, a tag) are printed in terminal tables, log lines and the
 * comment of a Slurm job script, where a line break or an escape sequence changes what follows: a
 * newline in a sweep's name once ran the rest of the name as a command on the compute node. New
 * names with such characters are refused (`nameSchema`, `controlCharIssue`); names archived before
 * that rule are shown with the characters escaped (`printable`). Browser-safe.
 */
import { z } from 'zod';

/**
 * The characters a name may not hold: C0 and C1 controls and DEL (line feed, carriage return, tab,
 * escape, NUL, …), the Unicode line and paragraph separators, and the bidirectional embeddings,
 * overrides and isolates (they reorder what a terminal shows after them).
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const CONTROL_ALL = new RegExp(CONTROL.source, 'gu');

const NAMES: Record<number, string> = {
  0x00: 'null',
  0x07: 'bell',
  0x08: 'backspace',
  0x09: 'tab',
  0x0a: 'line feed',
  0x0b: 'vertical tab',
  0x0c: 'form feed',
  0x0d: 'carriage return',
  0x1b: 'escape',
  0x7f: 'delete',
  0x85: 'next line',
  0x2028: 'line separator',
  0x2029: 'paragraph separator',
};

/** `U+000A (line feed)`: the code point and, where it has a common name, that name. */
export function describeChar(c: string): string {
  const cp = c.codePointAt(0)!;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  const name = NAMES[cp] ?? (cp >= 0x202a && cp <= 0x2069 ? 'bidirectional control' : 'control character');
  return `${hex} (${name})`;
}

/**
 * Why `s` cannot be a name, or null: "contains a control character U+000A (line feed) at
 * position 8" (positions count characters from 1, as an editor's column does).
 */
export function controlCharIssue(s: string): string | null {
  const m = CONTROL.exec(s);
  if (!m) return null;
  const position = [...s.slice(0, m.index)].length + 1;
  return `contains a control character ${describeChar(m[0])} at position ${position}: a name must be one line of printable text`;
}

/** A free-text name of at most `max` characters without control characters (input only: see the module comment). */
export function nameSchema(max: number) {
  return z
    .string()
    .max(max)
    .superRefine((s, ctx) => {
      const why = controlCharIssue(s);
      if (why) ctx.addIssue({ code: 'custom', message: why });
    });
}

/**
 * `s` with each control character written as a visible escape (`\n`, `\r`, `\t`, `\x1b`,
 * `\u2028`), for tables and one-line messages: names archived before they were checked may hold them.
 */
export function printable(s: string): string {
  return s.replace(CONTROL_ALL, (c) => {
    const cp = c.codePointAt(0)!;
    if (cp === 0x0a) return '\\n';
    if (cp === 0x0d) return '\\r';
    if (cp === 0x09) return '\\t';
    return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
  });
}

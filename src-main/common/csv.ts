/**
 * The one CSV writer of the lab (RFC 4180 quoting), used by the archive's exports and the UI's chart
 * downloads alike. Numbers keep full precision (shortest round-trip form); ±∞ are written as
 * `Infinity` / `-Infinity`, because a loss that went to infinity is a result, not a gap (spreadsheets,
 * pandas and `Number()` read them back); NaN, null and undefined are empty cells.
 */

/** One cell: quoted when it holds a comma, quote or line break. */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isNaN(v) ? '' : String(v);
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows of cells as CSV text with `\n` line ends and a final newline. */
export function csvLines(rows: readonly (readonly unknown[])[]): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

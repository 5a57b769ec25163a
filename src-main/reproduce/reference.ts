/**
 * The committed reproduction report (docs/reproduction/report.md, written by `dplab reproduce
 * report`) read back as data, so the Paper view can show its results as a reference for a claim
 * the user's archive holds no runs of. It reads what `markdownReport` writes (and its earlier
 * shape, without the protocol table); anything it cannot find stays null rather than guessed.
 */

/** A Markdown table: its header cells and rows (each as many cells as the header). */
export interface ReportTable {
  header: string[];
  rows: string[][];
}

/** One claim's section of the report. */
export interface ReferenceClaim {
  id: string;
  title: string;
  /** As the report prints it ("reproduced", "NOT reproduced", "inconclusive", "not run"). */
  verdict: string | null;
  /** The arms table (final and random-init values per arm); null for theory claims. */
  arms: ReportTable | null;
  /** The paired tests' table; null for theory claims. */
  tests: ReportTable | null;
}

/** The report's header facts and its claims by id. */
export interface ReferenceReport {
  /** The day the report was written (YYYY-MM-DD). */
  date: string | null;
  appVersion: string | null;
  backend: string | null;
  machine: string | null;
  /** The seeds its experiments were judged on, as printed ("0, 1, 2, 3, 4"). */
  seeds: string | null;
  /** Claims by id (a Map: ids come from a file, never from an object's prototype). */
  claims: Map<string, ReferenceClaim>;
}

/** The cells of one `| a | b |` line; cells past the header's count join the last (a `|` inside text). */
function cells(line: string, width?: number): string[] {
  const parts = line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
  if (width === undefined || parts.length <= width) return parts;
  return [...parts.slice(0, width - 1), parts.slice(width - 1).join(' | ')];
}

/** The Markdown tables of a section, in order. */
function tables(lines: readonly string[]): ReportTable[] {
  const out: ReportTable[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]!.startsWith('|') || !/^\|\s*-{3}/.test(lines[i + 1]!)) continue;
    const header = cells(lines[i]!);
    const rows: string[][] = [];
    let j = i + 2;
    for (; j < lines.length && lines[j]!.startsWith('|'); j++) rows.push(cells(lines[j]!, header.length));
    out.push({ header, rows });
    i = j - 1;
  }
  return out;
}

/** Parses the report's Markdown into its header facts and claims. */
export function parseReport(md: string): ReferenceReport {
  const lines = md.split(/\r?\n/);
  const head = lines.find((l) => l.startsWith('- date: ')) ?? '';
  const field = (re: RegExp) => re.exec(head)?.[1]?.trim() ?? null;
  const seedsLine = lines.find((l) => l.startsWith('- experiments: ')) ?? '';
  const report: ReferenceReport = {
    date: field(/date: (\d{4}-\d{2}-\d{2})/),
    machine: field(/machine: ([^;]+)/),
    backend: field(/backend: ([^;]+)/),
    appVersion: field(/lab version (\S+)/),
    seeds: /; seeds ([\d, ]+);/.exec(seedsLine)?.[1]?.trim() ?? null,
    claims: new Map(),
  };
  const starts = lines.flatMap((l, i) => (l.startsWith('## ') ? [i] : []));
  for (const [k, s] of starts.entries()) {
    const body = lines.slice(s + 1, starts[k + 1] ?? lines.length);
    const id = /<a id="([\w-]+)"><\/a>/.exec(body.join('\n'))?.[1];
    if (!id) continue;
    const verdict = body.map((l) => /^\*\*Verdict: (.+?)\*\*$/.exec(l.trim())?.[1]).find((v) => v !== undefined) ?? null;
    const ts = tables(body);
    report.claims.set(id, {
      id,
      title: lines[s]!.slice(3).trim(),
      verdict,
      arms: ts.find((t) => t.header[0] === 'arm') ?? null,
      tests: ts.find((t) => t.header.includes('test') && t.header.some((h) => h.startsWith('paired difference'))) ?? null,
    });
  }
  return report;
}

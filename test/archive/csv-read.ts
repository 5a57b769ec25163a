// Reading CSV back, for tests only: the lab writes CSV (src-main/common/csv.ts) but never reads it.
import type { MetricSeries } from '../../src-main/archive/archive.ts';

/** Parses CSV (quoted fields, doubled quotes, embedded newlines) into rows of strings. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
    i++;
  }
  if (quoted) throw new Error('CSV ends inside a quoted field');
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Reads a wide metrics CSV (as `metricsTable` writes it) back into series. */
export function metricsFromCsv(text: string): MetricSeries[] {
  const [header, ...rows] = parseCsv(text);
  if (!header || header[0] !== 'step' || header[1] !== 'epoch') throw new Error("metrics CSV must start with the columns 'step,epoch'");
  const series: MetricSeries[] = header.slice(2).map((name) => ({ name, steps: [], epochs: [], values: [] }));
  for (const r of rows) {
    series.forEach((s, j) => {
      const v = r[j + 2];
      if (v === undefined || v === '') return;
      s.steps.push(Number(r[0]));
      s.epochs.push(Number(r[1]));
      s.values.push(Number(v));
    });
  }
  return series;
}


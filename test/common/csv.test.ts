import test from 'node:test';
import assert from 'node:assert/strict';
import { csvCell, csvLines } from '../../src-main/common/csv.ts';
import { toCsv } from '../../src-main/archive/export.ts';
import { seriesToCsv } from '../../src-renderer/src/lib/series.ts';
import { parseCsv } from '../archive/csv-read.ts';

test('one CSV rule: ±∞ are written and read back, NaN and missing values are empty, text is quoted', () => {
  assert.equal(csvCell(Infinity), 'Infinity');
  assert.equal(csvCell(-Infinity), '-Infinity');
  assert.equal(csvCell(NaN), '');
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(0.1 + 0.2), '0.30000000000000004');
  assert.equal(csvCell('say "hi", then\nleave'), '"say ""hi"", then\nleave"');
  const rows = [['x', 'loss'], [1, Infinity], [2, -Infinity], [3, NaN]];
  const back = parseCsv(csvLines(rows));
  assert.deepEqual(back.slice(1).map((r) => Number(r[1] || NaN)), [Infinity, -Infinity, NaN]);
});

test('the archive export and the chart download write the same cells', () => {
  const archive = toCsv({ columns: ['step', 'loss'], rows: [[0, 1.5], [10, 'a, b'], [20, null]] });
  const chart = seriesToCsv([{ label: 'loss', x: [0, 10, 20], y: [1.5, 2, null] }], 'step');
  assert.equal(chart, archive.replace('"a, b"', '2'));
});

// The committed reproduction report read back as data (reproduce/reference.ts), for the Paper
// view's reference: the header facts, each claim's verdict and tables, from the report on disk and
// from what `markdownReport` writes now.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseReport } from '../../src-main/reproduce/reference.ts';
import { markdownReport } from '../../src-main/reproduce/report.ts';
import { CLAIMS } from '../../src-main/reproduce/claims.ts';
import { evaluateExperiment } from '../../src-main/reproduce/verdict.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('the committed report parses: its date, version, seeds, and every claim with its verdict and tables', () => {
  const md = readFileSync(join(ROOT, 'docs/reproduction/report.md'), 'utf8');
  const r = parseReport(md);
  assert.equal(r.date, '2026-12-08');
  assert.equal(r.appVersion, '0.1.0');
  assert.equal(r.backend, 'wasm');
  assert.equal(r.seeds, '1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011');
  // Every claim of the summary table has a section, with the summary's verdict.
  const summary = [...md.matchAll(/^\| \[.+?\]\(#([\w-]+)\) \| .+ \| (.+?) \|$/gm)].map((m) => [m[1]!, m[2]!]);
  assert.ok(summary.length >= 10, `${summary.length} claims in the summary`);
  assert.deepEqual([...r.claims.values()].map((c) => [c.id, c.verdict]), summary);
  const known = new Set(CLAIMS.map((c) => c.id));
  for (const id of r.claims.keys()) assert.ok(known.has(id), `${id} is a claim of the registry`);
  const c = r.claims.get('no-predictor-collapses')!;
  assert.equal(c.title, 'Without a predictor, BYOL collapses');
  assert.deepEqual(c.arms!.rows, [
    ['no predictor, EMA', '3', '0.061 ± 0.024', '0.787 ± 0.017'],
    ['linear W_p by SGD, EMA', '3', '0.508 ± 0.035', '0.787 ± 0.017'],
    ['DirectPred (ρ 0.3, ε 0.1, freq 1)', '3', '0.731 ± 0.020', '0.787 ± 0.017'],
  ]);
  assert.equal(c.tests!.rows.length, 3);
  assert.ok(c.tests!.rows.every((row) => row.length === c.tests!.header.length));
  // Theory claims carry no arms or tests table.
  assert.equal(r.claims.get('theorem1-conservation')?.arms, null);
});

test('what markdownReport writes now parses back: the protocol table is not taken for the tests', () => {
  const claim = CLAIMS.find((c) => c.id === 'no-stop-gradient-collapses')!;
  assert.equal(claim.kind, 'experiment');
  if (claim.kind !== 'experiment') return;
  const result = evaluateExperiment(claim, [], [0, 1, 2]);
  const md = markdownReport([result], { date: '2027-01-02', machine: 'test box', backend: 'cpu', appVersion: '9.9.9', seeds: [0, 1, 2], training: null });
  const r = parseReport(md);
  assert.equal(r.date, '2027-01-02');
  assert.equal(r.appVersion, '9.9.9');
  assert.equal(r.seeds, '0, 1, 2');
  const c = r.claims.get(claim.id)!;
  assert.equal(c.verdict, 'not run');
  assert.equal(c.arms!.rows.length, claim.arms.length);
  assert.ok(c.tests!.header.some((h) => h.startsWith('paired difference')));
  assert.equal(c.tests!.rows.length, claim.tests.length);
});

test('hostile ids and cells stay data: a __proto__ section is a Map key, extra | cells join the last', () => {
  const md = ['- date: 2026-01-01; machine: m; backend: b; lab version 1', '## x', '<a id="__proto__"></a>', '**Verdict: reproduced**', '| arm | runs |', '| --- | --- |', '| a | 1 | extra |'].join('\n');
  const r = parseReport(md);
  assert.equal(r.claims.get('__proto__')?.verdict, 'reproduced');
  assert.deepEqual(r.claims.get('__proto__')?.arms?.rows, [['a', '1 | extra']]);
  assert.equal(({} as Record<string, unknown>).verdict, undefined);
});

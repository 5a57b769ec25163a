// npm test: mostly waits (the checker's network lookups time out offline: 1.5 s of CPU in 15 s of wall, 2026-12-08)
/**
 * Electron's security checklist, statically (issue 15, item 7): @doyensec/electronegativity over
 * the shell's sources and the renderer's page. Every finding above INFORMATIONAL must be in the
 * reasoned allow-list (electronegativity-allow.json), and every allow-list entry must still match a
 * finding, so the list cannot silently cover more than it says.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'node_modules', '@doyensec', 'electronegativity', 'dist', 'index.js');

test('electronegativity: no finding above informational outside the reasoned allow-list', () => {
  assert.ok(existsSync(CLI), 'electronegativity is installed (a devDependency)');
  const dir = mkdtempSync(join(tmpdir(), 'dplab-eneg-'));
  try {
    // What ships: the Electron main/preload sources, the renderer's page and the package manifest.
    const input = join(dir, 'app');
    cpSync(join(ROOT, 'src-main', 'shell'), join(input, 'shell'), { recursive: true });
    cpSync(join(ROOT, 'src-renderer', 'index.html'), join(input, 'index.html'));
    cpSync(join(ROOT, 'package.json'), join(input, 'package.json'));
    // SARIF, not CSV: electronegativity writes the CSV header and rows with two racing async
    // writes, so under load the header sometimes overwrites the first finding (seen in CI).
    // The SARIF report is one write; `-s low` keeps only findings above INFORMATIONAL.
    const out = join(dir, 'findings.sarif');
    const electron = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;
    const r = spawnSync(process.execPath, [CLI, '-i', input, '-o', out, '-r', '-v', 'false', '-s', 'low', '-e', electron], { encoding: 'utf8', timeout: 170_000 });
    assert.ok(existsSync(out), `electronegativity wrote no report (status ${r.status}): ${r.stderr.slice(0, 2000)}`);
    type Sarif = { runs: { results: { ruleId: string; locations?: { physicalLocation?: { artifactLocation?: { uri?: string }; region?: { startLine?: number } } }[] }[] }[] };
    const report = JSON.parse(readFileSync(out, 'utf8')) as Sarif;
    const findings = report.runs.flatMap((run) => run.results).map((res) => {
      const where = res.locations?.[0]?.physicalLocation;
      return { id: res.ruleId, file: where?.artifactLocation?.uri ?? 'N/A', at: String(where?.region?.startLine ?? 0) };
    });
    assert.ok(findings.length > 0, 'the report was read (a file with no findings at all would also pass the checks below)');
    const allow = (JSON.parse(readFileSync(join(ROOT, 'test', 'shell', 'electronegativity-allow.json'), 'utf8')) as { allow: { id: string; file: string; reason: string }[] }).allow;
    for (const a of allow) assert.ok(a.reason.length > 40, `allow-list entry ${a.id} says why`);
    const unexplained = findings.filter((f) => !allow.some((a) => a.id === f.id && a.file === f.file)).map((f) => `${f.id} ${f.file}:${f.at}`);
    assert.deepEqual(unexplained, [], 'findings without a reason in electronegativity-allow.json');
    const stale = allow.filter((a) => !findings.some((f) => f.id === a.id && f.file === a.file));
    assert.deepEqual(stale, [], 'allow-list entries that no longer match a finding (remove them)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Views that follow the work (issue 23): which run Live run shows, colours unique within a chart,
// the shortcut sheet built from the views, the runs a Paper claim needs (checked against the
// service's own plan over a real archive).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runToFollow, trainingRuns } from '../../src-renderer/src/lib/liveRunPick.ts';
import { RUN_PALETTE, chartRunColors, groupColors, paletteColor, runColor, setRunOrder } from '../../src-renderer/src/lib/runColors.ts';
import { compareLines, finalBars, swatchColors } from '../../src-renderer/src/lib/compare/compareSeries.ts';
import { shortcutGroups } from '../../src-renderer/src/lib/shortcuts.ts';
import { claimPlan, planSeeds } from '../../src-renderer/src/lib/claimPlan.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const row = (id: string, status: string, createdAt: number, startedAt: number | null = null) => ({ id, status, createdAt, startedAt });

test('Live run follows the run that is training, not the newest queued one', () => {
  // A sweep of 6: two trained, one training, three queued (newest rows first, as runs.list gives them).
  const rows = [row('q3', 'queued', 60), row('q2', 'queued', 50), row('q1', 'queued', 40), row('t', 'running', 30, 300), row('c2', 'completed', 20, 200), row('c1', 'completed', 10, 100)];
  assert.equal(runToFollow(rows), 't');
  // Two training at once: the latest started is shown; the picker lists both, latest first.
  const two = [row('q', 'queued', 60), row('a', 'running', 40, 400), row('b', 'running', 50, 450)];
  assert.equal(runToFollow(two), 'b');
  assert.deepEqual(trainingRuns(two).map((r) => r.id), ['b', 'a']);
  // Nothing training yet: the queued run that trains next (the oldest queued), not the newest.
  assert.equal(runToFollow([row('q2', 'queued', 50), row('q1', 'queued', 40), row('c', 'completed', 10, 100)]), 'q1');
  // Nothing active: the newest run.
  assert.equal(runToFollow([row('old', 'completed', 10, 100), row('new', 'failed', 20, 200)]), 'new');
  assert.equal(runToFollow([]), null);
});

test('colours are unique within a chart, each run keeping its own where no older run of the chart has it', () => {
  const rows = Array.from({ length: 60 }, (_, i) => ({ id: `run-${i}`, createdAt: 1000 + i }));
  setRunOrder(rows);
  // Runs 0 and 20 share a palette entry (the two blues in one Compare chart).
  assert.equal(runColor('run-0'), runColor('run-20'));
  const two = chartRunColors(['run-20', 'run-0']);
  assert.equal(two.get('run-0'), runColor('run-0'), 'the older run keeps its colour');
  assert.notEqual(two.get('run-20'), two.get('run-0'));
  // Without a collision every run keeps its own colour.
  const own = chartRunColors(['run-3', 'run-5', 'run-40']);
  for (const [id, c] of own) assert.equal(c, runColor(id));
  // 60 runs in one chart: 60 colours, the set's order does not matter.
  const ids = rows.map((r) => r.id);
  const all = chartRunColors(ids);
  assert.equal(new Set(all.values()).size, 60);
  assert.deepEqual([...chartRunColors([...ids].reverse())].sort(), [...all].sort());
  for (const c of all.values()) assert.match(c, /^#[0-9a-f]{6}$/);
  // The generated colours past the palette repeat neither it nor each other.
  const ext = Array.from({ length: 200 }, (_, i) => paletteColor(i));
  assert.deepEqual(ext.slice(0, 20), [...RUN_PALETTE]);
  assert.equal(new Set(ext).size, 200);
  // 25 groups: 25 colours.
  assert.equal(new Set(groupColors(Array.from({ length: 25 }, (_, i) => ({ 'optim.lr': i })))).size, 25);
});

test('a compare chart of colliding runs draws lines, bars and swatches in the same unique colours', () => {
  setRunOrder(Array.from({ length: 41 }, (_, i) => ({ id: `r${i}`, createdAt: i })));
  const mk = (id: string) => ({ id, label: id, setup: { predictor: { kind: 'linear' } }, series: { steps: [1, 2], epochs: [0.5, 1], values: [1, 2] }, wall: { batchSize: 32 } });
  const runs = ['r0', 'r20', 'r40'].map(mk);
  const lines = compareLines(runs, 'step', '');
  const bars = finalBars(runs, '');
  const sw = swatchColors(runs, '');
  assert.equal(new Set(lines.map((l) => l.color)).size, 3);
  for (const r of runs) {
    assert.equal(lines.find((l) => l.label === r.id)!.color, sw.get(r.id));
    assert.equal(bars.find((b) => b.label === r.id)!.color, sw.get(r.id));
  }
});

test('the shortcut sheet names every view by its Alt key, and its span matches the registry', () => {
  const views = ['Compose', 'Runs', 'Live run', 'Compare', 'Sweeps', 'Theory', 'Archive', 'Paper'].map((label, i) => ({ label, key: String(i + 1) }));
  const groups = shortcutGroups(views);
  const byTitle = new Map(groups);
  assert.deepEqual(byTitle.get('Views'), views.map((v) => [`Alt ${v.key}`, v.label]));
  assert.deepEqual(byTitle.get('Everywhere')![0], ['Alt 1 … 8', 'switch view']);
  // A ninth view is listed without editing the sheet.
  const nine = shortcutGroups([...views, { label: 'Notes', key: '9' }]);
  assert.deepEqual(new Map(nine).get('Everywhere')![0], ['Alt 1 … 9', 'switch view']);
  assert.ok(new Map(nine).get('Views')!.some(([k, l]) => k === 'Alt 9' && l === 'Notes'));
});

/** The keys a view's `onKey` handler compares `e.key` with (`e.key === 'x'`, `e.key.toLowerCase() === 'x'`, `case 'x':`). */
function handledKeys(file: string): string[] {
  const src = readFileSync(join(import.meta.dirname, '../../src-renderer/src/views', file), 'utf8');
  const start = src.indexOf('function onKey(');
  assert.ok(start >= 0, `${file} has an onKey handler`);
  const body = src.slice(start, src.indexOf('\n  }\n', start));
  const keys = [...body.matchAll(/e\.key(?:\.toLowerCase\(\))? === '([^']+)'|case '([^']+)':/g)].map((m) => (m[1] ?? m[2])!);
  assert.ok(keys.length >= 2, `${file}: keys found ${keys.join(' ')}`);
  return keys;
}

/** How the sheet writes a key of `KeyboardEvent.key`. */
const sheetName = (k: string) => ({ ArrowDown: '↓', ArrowUp: '↑', ' ': 'Space', Escape: 'Esc' })[k] ?? (k.length === 1 ? k.toUpperCase() : k);

test('the shortcut sheet names every key the Compose, Runs and Live run views handle', () => {
  const groups = new Map(shortcutGroups([{ label: 'Compose', key: '1' }]));
  for (const [file, group] of [['Compose.svelte', 'Compose'], ['Runs.svelte', 'Runs'], ['Run.svelte', 'Live run']] as const) {
    const named = new Set(groups.get(group)!.flatMap(([keys]) => keys.split(/\s+/)));
    for (const k of handledKeys(file)) assert.ok(named.has(sheetName(k)), `${group}: the view handles "${k}" but the sheet does not name ${sheetName(k)} (it names ${[...named].join(' ')})`);
  }
});

test('the Paper view counts a claim\'s runs as reproduce.run plans them: completed, in flight, to train', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { openArchive } = await import('../../src-main/archive/archive.ts');
  const { armSetup, CLAIMS } = await import('../../src-main/reproduce/claims.ts');
  const { setupHash } = await import('../../src-main/common/hash.ts');
  const { missingSweep, planRuns } = await import('../../src-main/runs/reproduce.ts');
  const { recordArmRun } = await import('../reproduce/arm-run.ts');
  const dir = mkdtempSync(join(tmpdir(), 'dplab-claim-plan-'));
  try {
    const file = join(dir, 'lab.sqlite');
    const claim = CLAIMS.find((c) => c.id === 'no-stop-gradient-collapses')!;
    assert.equal(claim.kind, 'experiment');
    recordArmRun(file, 'no-stop-gradient', 0, 0.01);
    recordArmRun(file, 'simsiam-linear', 0, 0.6);
    recordArmRun(file, 'no-stop-gradient', 7, 0.01); // a seed the view does not read
    const a = openArchive(file);
    try {
      // One queued by this (live) process, one running, one queued twice (counted once).
      const owner = { pid: process.pid, start: null };
      const queue = (arm: 'no-stop-gradient' | 'simsiam-linear', seed: number) => {
        const s = armSetup(arm, seed);
        return a.createRun({ setup: s as unknown as Record<string, unknown>, setupHash: setupHash(s), seed, status: 'queued', owner }).uuid;
      };
      queue('simsiam-linear', 1);
      const r2 = queue('no-stop-gradient', 2);
      a.setStatus(r2, 'running', { startedAt: Date.now(), ownerPid: process.pid });
      queue('simsiam-linear', 1);
      const rows = a.listRuns({}).map((r) => ({ id: r.uuid, status: r.status, setupHash: r.setupHash }));
      const seeds = [0, 1, 2];
      const plan = claimPlan(claim, seeds, rows);
      const server = missingSweep(a, planRuns([claim], seeds));
      assert.deepEqual(plan, { runs: 6, completed: 2, inFlight: plan.inFlight, toTrain: 2 });
      assert.equal(plan.toTrain, server.members.length);
      assert.equal(plan.completed + plan.inFlight.length, server.reused);
      // The same runs to cancel as the service would reuse (one per setup, the duplicate left out).
      assert.equal(plan.inFlight.length, 2);
      assert.ok(plan.inFlight.includes(r2));
      assert.deepEqual(new Set(plan.inFlight), new Set(server.inFlight));
    } finally {
      a.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Evaluation seeds: the claim's next look, none once decided.
  assert.deepEqual(planSeeds({ evaluation: false, seeds: 3, judgedOn: 0, decided: false, maxSeeds: 12 }), [0, 1, 2]);
  assert.deepEqual(planSeeds({ evaluation: true, seeds: 3, judgedOn: 0, decided: false, maxSeeds: 12 }).slice(0, 1), [1000]);
  assert.deepEqual(planSeeds({ evaluation: true, seeds: 3, judgedOn: 6, decided: true, maxSeeds: 12 }), []);
});

// End to end, in Debian Chromium at 1440×900 against the real `dplab serve` (issue 16, "the lab as
// researchers use it day to day"): run names are not sticky and Edit JSON's name wins; a reopened
// run shows its real epoch; charts carry axis titles, a per-mode hover readout, p_j on its own axis,
// a labelled marker for a probe measured once and "no W_p" for predictor none; the starter predictor
// ablation is one click from the empty Sweeps view; runs and groups keep distinct colours that agree
// across views; resume says which checkpoint it continues from; the theory playground follows the
// η slider (frame rate printed for BENCHMARKS.md); the runs CSV has one column per setup field;
// screenshots of every view in both themes go to test-artifacts/ui-daily/.
import { browserTest as test } from '../browser.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { labPerFile, ROOT, until } from './harness.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';

const ART = join(ROOT, 'test-artifacts', 'ui-daily');
/** The quick setup cut short: these checks need finished runs, not their result. */
const short = (steps: number, extra: Record<string, unknown> = {}) => ({ ...QUICK_SETUP, optim: { ...QUICK_SETUP.optim, epochs: 1, maxSteps: steps }, ...extra });

/** Checkpoints every few steps (the lab's default is 100): the resume test then trains 14 steps, not 104. */
const CHECKPOINT_EVERY = 10;
const fx = labPerFile({ prefix: 'dplab-daily-', art: ART, viewport: { width: 1440, height: 900 }, serve: ['--checkpoint-every', String(CHECKPOINT_EVERY)] });

const shot = (name: string) => fx.page.screenshot({ path: join(ART, `${name}.png`) });
const view = async (key: number) => {
  await fx.page.keyboard.press('Escape');
  await fx.page.locator('body').click({ position: { x: 2, y: 890 } });
  await fx.page.keyboard.press(`Alt+${key}`);
};
/** Computed background colours of the elements a locator matches. */
type Win = { getComputedStyle(e: unknown): { backgroundColor: string } };
const colours = (sel: string) => fx.page.locator(sel).evaluateAll((els) => els.map((e) => (globalThis as unknown as Win).getComputedStyle(e).backgroundColor));

/** Replaces the composer's draft by a JSON setup through Edit JSON → Apply. */
async function applyJson(setup: Record<string, unknown>): Promise<void> {
  await fx.page.getByRole('button', { name: 'Edit JSON…' }).click();
  await fx.page.locator('textarea[aria-label="Setup JSON"]').fill(JSON.stringify(setup));
  await fx.page.getByRole('button', { name: 'Apply', exact: true }).click();
  await fx.page.locator('textarea[aria-label="Setup JSON"]').waitFor({ state: 'detached' });
}

/** Starts the composed run; resolves with its id (the live view's URL names it). */
async function startRun(): Promise<string> {
  const before = fx.page.url();
  await fx.page.getByRole('button', { name: 'Start run' }).click();
  await until(async () => /#\/run\/[\w-]+/.test(fx.page.url()) && fx.page.url() !== before, 30_000, 'the live view of the new run opens');
  return /#\/run\/([\w-]+)/.exec(fx.page.url())![1]!;
}

const ids: Record<string, string> = {};

test('run names come from the setup, are not sticky, and Edit JSON\'s name wins', { timeout: 240_000 }, async () => {
  await view(1);
  await fx.page.locator('select[aria-label="Preset"] option[value="directpred"]').waitFor({ state: 'attached', timeout: 30_000 });
  await applyJson(short(16, { predictor: { kind: 'none' } }));
  const nameBox = fx.page.locator('input[aria-label="Run name"]');
  assert.match((await nameBox.getAttribute('placeholder'))!, /^none · .*seed 0$/, 'the default name is read off the setup');
  await nameBox.fill('quick none');
  ids.none = await startRun();
  await fx.page.locator('h1', { hasText: 'quick none' }).waitFor();

  // Back in the composer: the typed name was for that run only.
  await view(1);
  assert.equal(await nameBox.inputValue(), '', 'the name box is empty for the next run');
  await fx.page.locator('[data-block="predictor"]').click();
  await fx.page.selectOption('select[aria-label="Predictor kind"]', 'directpred');
  const placeholder = (await nameBox.getAttribute('placeholder'))!;
  assert.match(placeholder, /^directpred\b/, `default name follows the predictor: ${placeholder}`);
  ids.dp = await startRun();
  await fx.page.locator('h1', { hasText: placeholder }).waitFor();
  assert.equal(await fx.page.locator('h1', { hasText: 'quick none' }).count(), 0, 'a DirectPred run is not called "quick none"');

  // JSON with a name: it wins when applied.
  await view(1);
  await applyJson({ ...short(16), predictor: { kind: 'directpred' }, seed: 2, name: 'from json' });
  assert.equal(await nameBox.inputValue(), 'from json');
  ids.json = await startRun();
  await fx.page.locator('h1', { hasText: 'from json' }).waitFor();

  // The runs table lists the three names, each once.
  await view(2);
  const table = fx.page.locator('.vt');
  await until(async () => (await table.locator('.row').count()) === 3, 30_000, 'three rows');
  const names = await table.locator('.row .name').allInnerTexts();
  assert.deepEqual(names.map((n) => n.trim()).sort(), ['from json', 'quick none', placeholder].sort());
});

test('a reopened run shows its real epoch; charts carry titles, hover values, two axes and markers', { timeout: 600_000 }, async () => {
  // Wait until all three runs are done (the queue runs them one by one; slow when the machine is shared).
  await until(async () => (await fx.page.locator('.vt .row', { hasText: 'completed' }).count()) === 3, 540_000, 'the three runs complete');
  // Reopen the DirectPred run from scratch (a reload: no live progress events in memory).
  await fx.page.goto(`${fx.lab.url}#/run/${ids.dp}`);
  await fx.page.reload();
  const prog = fx.page.getByTestId('run-progress');
  await prog.filter({ hasText: 'step 16 / 16' }).waitFor({ timeout: 30_000 });
  // 512 images in batches of 32: 16 steps are one epoch (before the fix: "epoch 0.00").
  assert.match(await prog.innerText(), /epoch 1\.00/);

  const chart = (t: string) => fx.page.locator(`figure[data-chart="${t}"]`);
  assert.equal(await chart('Probe and kNN accuracy').getAttribute('data-y-label'), 'accuracy (%)');
  assert.equal(await chart('Loss').getAttribute('data-y-label'), 'loss (2 − 2cos, two terms summed: 0–8)');
  assert.equal(await chart('Final spectrum').getAttribute('data-y2-label'), 'p_j (W_p)', 'p_j has its own axis');
  // Every run evaluates its untrained network at step 0 as well (issue 13): two points, named.
  await chart('Probe and kNN accuracy').getByText('measured at random init (step 0) and once, at the end').waitFor();
  // Final beside random init and the change, in the charts' format (percentages), and the protocol.
  const vsInit = fx.page.getByTestId('run-baseline');
  const rows = (await vsInit.locator('tbody tr').allInnerTexts()).map((t) => t.trim());
  assert.match(rows[0]!, /^final\s+\d+\.\d %\s+\d+\.\d %\s+\d\.\d+\s+\d/);
  assert.match(rows[1]!, /^random init\s+\d+\.\d %\s+\d+\.\d %\s+\d\.\d+\s+\d/);
  assert.match(rows[2]!, /^change\s+[+−]\d+\.\d pts\s+[+−]\d+\.\d pts\s+[+−]\d\.\d{3}\s+[+−]\d/);
  assert.match(await fx.page.getByTestId('run-protocol').innerText(), /probe epoch chosen on validation · kNN k=\d+ weighted exp\(cos\/0\.07\)/);
  // The effective-rank chart marks the untrained network's rank at step 0.
  assert.match(await chart('Effective rank of the embeddings').locator('.u-legend').innerText(), /random init/);
  await shot('run-vs-init');
  // Per-mode chart: hovering shows the mode under the cursor and its value.
  const sj = chart('Eigenvalues s_j of F̂');
  await sj.getByText('mode j by rank of s_j').waitFor();
  // The random-init table above the charts pushes this chart below the fold at 900 px: bring it into view to hover.
  await sj.locator('.u-over').scrollIntoViewIfNeeded();
  const box = (await sj.locator('.u-over').boundingBox())!;
  await fx.page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5);
  await until(async () => /^step \d+ · mode \d+: [\d.e-]+$/.test((await sj.getByTestId('mode-readout').innerText()).trim()), 5000, 'the readout names a mode and its value');
  await shot('run-directpred');

  // Predictor none: no W_p to chart, said in words instead of a flat 0 line.
  await fx.page.goto(`${fx.lab.url}#/run/${ids.none}`);
  await fx.page.reload();
  await fx.page.locator('h1', { hasText: 'quick none' }).waitFor({ timeout: 30_000 });
  await chart('Asymmetry of W_p').getByText('No W_p for predictor none').waitFor({ timeout: 30_000 });
  await chart('Eigenvalues p_j of W_p').getByText('No W_p for predictor none').waitFor();
  assert.ok((await chart('Asymmetry of W_p').locator('.u-legend .u-series').count()) <= 1, 'no asymmetry line (only the x row in the legend)');
  await shot('run-none');
  assert.deepEqual(fx.lab.pageErrors, []);
});

test('runs details: final and best side by side, labelled; differing fields as chosen columns', { timeout: 60_000 }, async () => {
  await view(2);
  await fx.page.locator('.vt .row', { hasText: 'from json' }).click();
  const fb = fx.page.getByTestId('final-best');
  await fb.waitFor();
  assert.match(await fb.innerText(), /final\s+best/);
  await fx.page.getByText('Accuracies measured once, at the end (best = final).').waitFor();
  // Random init beside final and best; the protocol under the table.
  assert.match(await fx.page.getByTestId('init-knn').innerText(), /^\d+\.\d %$/);
  assert.match(await fx.page.getByTestId('runs-protocol').innerText(), /^probe epoch chosen on validation/);
  // Differing fields: predictor.kind as a column beside the seed (a column of its own since issue
  // 23); the chooser hides it.
  const head = fx.page.locator('.vt .head');
  assert.match(await head.innerText(), /predictor/);
  assert.match(await head.innerText(), /seed/);
  await fx.page.getByRole('button', { name: 'Columns' }).click();
  await fx.page.getByTestId('column-chooser').getByLabel('predictor.kind').uncheck();
  assert.doesNotMatch(await head.innerText(), /\bpredictor\b/);
  await fx.page.getByTestId('column-chooser').getByLabel('predictor.kind').check();
  assert.match(await head.innerText(), /\bpredictor\b/);
  await fx.page.getByRole('button', { name: 'Columns' }).click();
});

/** Shows a view by its navigation button. */
async function go(label: string): Promise<void> {
  await fx.page.locator('nav button', { hasText: label }).first().click();
}

/** Colour of each row's swatch keyed by the row's text (first match of `key` in it). */
async function swatchByText(rowSel: string, swSel: string, keys: string[]): Promise<Map<string, string>> {
  const rows = fx.page.locator(rowSel);
  const out = new Map<string, string>();
  for (let i = 0; i < (await rows.count()); i++) {
    const text = await rows.nth(i).innerText();
    const k = keys.find((x) => text.includes(x));
    if (!k) continue;
    const c = await rows.nth(i).locator(swSel).first().evaluate((e) => (globalThis as unknown as Win).getComputedStyle(e).backgroundColor);
    out.set(k, c);
  }
  return out;
}

test('the predictor ablation is one click from the empty Sweeps view; run and group colours agree across views', { timeout: 240_000 }, async () => {
  await go('Sweeps');
  const starter = fx.page.getByTestId('starter-ablation');
  await starter.waitFor({ timeout: 30_000 });
  await shot('sweeps-empty');
  await starter.click();
  const result = fx.page.getByTestId('sweep-result');
  await result.waitFor({ timeout: 30_000 });
  assert.match(await result.locator('h2').innerText(), /predictor ablation \(quick\)/);
  await fx.page.getByTestId('sweep-progress').filter({ hasText: '/ 9 finished' }).waitFor({ timeout: 30_000 });
  await result.locator('summary', { hasText: 'Runs (9)' }).click();
  await until(async () => new Set(await colours('[data-testid="sweep-result"] .runs .sw')).size === 9, 30_000, 'nine sweep runs in nine colours');
  // The whole ablation takes minutes: this test only needs its runs, so cancel them.
  await go('Runs');
  await until(async () => (await fx.page.locator('.vt .row').count()) === 12, 30_000, 'twelve runs listed');
  await fx.page.locator('input[aria-label="Select all shown"]').check();
  await fx.page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await until(async () => (await fx.page.locator('.vt .row', { hasText: /running|queued/ }).count()) === 0, 60_000, 'the ablation is cancelled');
  await fx.page.locator('input[aria-label="Select all shown"]').uncheck();
  // Twelve runs made one after another: twelve distinct colours, the same in the runs table and in Compare.
  const table = await colours('.vt .row .sw');
  assert.equal(new Set(table).size, 12, `distinct run colours: ${table.join(' ')}`);
  const names = ['quick none', 'from json'];
  const inRuns = await swatchByText('.vt .row', '.sw', names);
  await go('Compare');
  await fx.page.locator('ul[aria-label="Runs"] li').nth(11).waitFor({ timeout: 30_000 });
  const inCompare = await swatchByText('ul[aria-label="Runs"] li', '.swatch', names);
  for (const n of names) assert.equal(inCompare.get(n), inRuns.get(n), `${n}: one colour in Runs and Compare`);

  // A small finished sweep: its groups have one colour each in the sweep table, the compare
  // group legend and the compare table's swatches.
  await go('Sweeps');
  await fx.page.getByTestId('sweep-name').fill('two kinds');
  if (!(await fx.page.locator('textarea[aria-label="Base setup JSON"]').isVisible())) await fx.page.getByText('Base setup').first().click();
  await fx.page.locator('textarea[aria-label="Base setup JSON"]').fill(JSON.stringify(short(8)));
  await fx.page.fill('input[aria-label="Values of axis 1"]', 'none, directpred');
  await fx.page.getByTestId('seeds').fill('1');
  // The whole count, not a count that merely contains a 2 (12, 20): that would be another grid.
  await fx.page.getByTestId('run-count').filter({ hasText: /^2$/ }).waitFor({ timeout: 30_000 });
  await fx.page.getByTestId('start-sweep').click();
  await fx.page.getByTestId('sweep-progress').filter({ hasText: '2 / 2 finished' }).waitFor({ timeout: 150_000 });
  await until(async () => (await fx.page.locator('[data-testid="sweep-table"] tbody tr').allInnerTexts()).filter((r) => /\d/.test(r)).length === 2, 30_000, 'two result rows');
  const kinds = ['none', 'directpred'];
  const inSweep = await swatchByText('[data-testid="sweep-table"] tbody tr', '.sw', kinds);
  assert.equal(new Set(inSweep.values()).size, 2);
  await shot('sweeps-finished');
  await go('Compare');
  await fx.page.selectOption('select[aria-label="Sweep"]', { label: 'two kinds (2 runs)' });
  await fx.page.getByRole('button', { name: 'Select sweep' }).click();
  await fx.page.locator('[data-testid="compare-table"] tbody tr').nth(1).waitFor();
  await fx.page.selectOption('[data-testid="group-by"]', 'predictor.kind');
  // The legend lists a group once its runs' series have arrived (two requests per run, after the
  // selection), and colours only the groups it lists: read it once it shows both, or a group still
  // loading is missing and the other one holds the first palette entry for the moment.
  await until(async () => (await fx.page.locator('[data-testid="group-legend"] li').allInnerTexts()).filter((t) => /= (none|directpred) \(n=1\)/.test(t)).length === 2, 30_000, 'the group legend lists both predictor kinds');
  const legend = await swatchByText('[data-testid="group-legend"] li', '.sw', kinds.map((k) => `= ${k} `));
  const inTable = await swatchByText('[data-testid="compare-table"] tbody tr', '.sw', kinds);
  for (const k of kinds) {
    assert.equal(legend.get(`= ${k} `), inSweep.get(k), `${k}: compare group colour = sweep table colour`);
    assert.equal(inTable.get(k), inSweep.get(k), `${k}: compare table swatch = group colour`);
  }
  await shot('compare-grouped');
});

test('resume after cancel says which checkpoint it continues from', { timeout: 300_000 }, async () => {
  await go('Compose');
  await applyJson({ ...QUICK_SETUP, optim: { ...QUICK_SETUP.optim, epochs: 100, maxSteps: 400 }, predictor: { kind: 'directpred' }, name: 'long run' });
  await startRun();
  const prog = fx.page.getByTestId('run-progress');
  // The lab checkpoints every CHECKPOINT_EVERY steps: cancel a little after the first one.
  const past = CHECKPOINT_EVERY + 4;
  await until(async () => Number(/step (\d+) \//.exec(await prog.innerText())?.[1] ?? 0) >= past, 240_000, `the run passes step ${past}`);
  await fx.page.getByRole('button', { name: 'Cancel run' }).click();
  await fx.page.getByRole('button', { name: 'Resume' }).waitFor({ timeout: 30_000 });
  const lastStep = Number(/step (\d+) \//.exec(await prog.innerText())![1]);
  await fx.page.getByRole('button', { name: 'Resume' }).click();
  const toast = fx.page.locator('.toast', { hasText: /Resumed from step \d+ \(last checkpoint\)/ });
  await toast.waitFor({ timeout: 30_000 });
  // The newest checkpoint before the cancel: the one at or below the last step trained, which the
  // toast names when the run went past it (the progress bar read above may lag that step).
  const said = await toast.innerText();
  const m = /Resumed from step (\d+) \(last checkpoint\)(?:; steps (\d+)–(\d+) are trained again)?/.exec(said);
  assert.ok(m, said);
  const from = Number(m[1]);
  assert.ok(lastStep >= past);
  assert.ok(from >= CHECKPOINT_EVERY && from % CHECKPOINT_EVERY === 0, `a checkpoint step: ${said}`);
  if (m[2]) {
    assert.equal(Number(m[2]), from + 1, said);
    assert.ok(Number(m[3]) >= lastStep, said);
    assert.equal(from, Math.floor(Number(m[3]) / CHECKPOINT_EVERY) * CHECKPOINT_EVERY, `the last checkpoint before step ${m[3]}: ${said}`);
  } else assert.ok(from >= lastStep, `cancelled right at a checkpoint, nothing to train again: ${said}`);
  await fx.page.getByRole('button', { name: 'Cancel run' }).click();
  await fx.page.getByRole('button', { name: 'Resume' }).waitFor({ timeout: 60_000 });
});

test('theory: β presets bring the per-mode chart into view; every CLI figure preset is in the UI; the η drag is measured', { timeout: 180_000 }, async () => {
  await go('Theory');
  await fx.page.getByTestId('portrait').waitFor({ timeout: 30_000 });
  await fx.page.locator('button[data-preset="fig5-ema#1"]').click();
  const modes = fx.page.getByTestId('modes-panel');
  await until(async () => /\bflash\b/.test((await modes.getAttribute('class')) ?? ''), 5000, 'the per-mode chart flashes');
  await until(async () => {
    const b = await modes.boundingBox();
    return !!b && b.y < 900 && b.y + b.height > 0;
  }, 5000, 'the per-mode chart is scrolled into view');
  // Every paper preset of `dplab theory presets` has a button (slider presets or the figures panel).
  const { PRESETS } = await import('../../src-main/theory/presets.ts');
  for (const name of Object.keys(PRESETS)) {
    const n = await fx.page.locator(`button[data-preset^="${name}#"], button[data-figure="${name}"]`).count();
    assert.ok(n > 0, `preset ${name} has a button`);
  }
  await fx.page.locator('button[data-figure="fig9"]').click();
  await fx.page.locator('figure[data-chart^="‖[F, W_p]‖ → 0"]').waitFor({ timeout: 90_000 });
  await fx.page.locator('button[data-figure="fig10-tied"]').click();
  await fx.page.getByTestId('planar-flow').first().waitFor({ timeout: 60_000 });
  await fx.page.getByTestId('paper-figures').scrollIntoViewIfNeeded();
  await shot('theory-figures');

  // The hand: η swept 0 → 0.5 → 0 by one input event per animation frame; frame and redraw
  // timestamps measured in the page (a figure for BENCHMARKS.md, not an assertion). 1.5 s in the
  // suite, where only the redraws are asserted (it ran 5 s, at 1.5 cores, for a figure nobody
  // reads in a test log); THEORY_DRAG_MS=5000 gives BENCHMARKS.md's 5 s measurement.
  await fx.page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
  // Passed as text: the test's compiler would wrap named closures in a helper the fx.page lacks.
  const dragMs = Number(process.env.THEORY_DRAG_MS ?? 1500);
  const m = (await fx.page.evaluate(`new Promise((done) => {
    const el = document.querySelector('input[data-param="eta"]');
    const out = { frames: [], portrait: [], phase: [] };
    document.querySelector('[data-testid="portrait"]').addEventListener('plotdrawn', () => out.portrait.push(performance.now()));
    document.querySelector('[data-testid="phaseline"]').addEventListener('plotdrawn', () => out.phase.push(performance.now()));
    const t0 = performance.now();
    const tick = (t) => {
      out.frames.push(t);
      const u = ((t - t0) / ${dragMs / 2}) % 2;
      el.value = String(Math.round((u < 1 ? u : 2 - u) * 100) * 0.005);
      el.dispatchEvent(new Event('input', { bubbles: true }));
      if (t - t0 < ${dragMs}) requestAnimationFrame(tick);
      else done(out);
    };
    requestAnimationFrame(tick);
  })`)) as { frames: number[]; portrait: number[]; phase: number[] };
  const span = (m.frames[m.frames.length - 1]! - m.frames[0]!) / 1000;
  const gaps = m.frames.slice(1).map((t, i) => t - m.frames[i]!);
  const figure = {
    seconds: Number(span.toFixed(2)),
    framesPerSec: Number(((m.frames.length - 1) / span).toFixed(1)),
    portraitRedrawsPerSec: Number((m.portrait.length / span).toFixed(1)),
    phaseLineRedrawsPerSec: Number((m.phase.length / span).toFixed(1)),
    framesOver50ms: gaps.filter((g) => g > 50).length,
    longestFrameMs: Math.round(Math.max(...gaps)),
  };
  console.log(`THEORY_DRAG ${JSON.stringify(figure)}`);
  assert.ok(m.portrait.length > 0 && m.phase.length > 0, 'the portrait and the phase line redraw while η moves');
  // Once the hand stops, the refined portrait follows.
  await fx.page.getByTestId('fixed-count').waitFor();
  assert.deepEqual(fx.lab.pageErrors, []);
});

test('export: the runs CSV has a column per setup field and the note; choices that cannot apply say why', { timeout: 90_000 }, async () => {
  await go('Runs');
  await fx.page.locator('.vt .row', { hasText: 'from json' }).click();
  await fx.page.locator('textarea#note').fill('baseline for the ablation');
  await fx.page.getByRole('button', { name: 'Save note' }).click();
  await fx.page.getByRole('button', { name: 'Save note' }).and(fx.page.locator(':disabled')).waitFor();
  await go('Archive');
  const boxes = fx.page.locator('input[aria-label^="Select "]');
  await boxes.first().waitFor({ timeout: 30_000 });
  await fx.page.locator('tr', { hasText: 'from json' }).locator('input[type="checkbox"]').check();
  await fx.page.locator('tr', { hasText: 'quick none' }).locator('input[type="checkbox"]').check();
  // Two runs: the per-run CSVs are disabled, and say why.
  assert.equal(await fx.page.locator('[data-testid="export-what"] option[value="metrics"]').isDisabled(), true);
  assert.match(await fx.page.locator('[data-testid="export-what"] option[value="metrics"]').innerText(), /select exactly one run/);
  const download = fx.page.waitForEvent('download');
  await fx.page.getByRole('button', { name: 'Export 2 runs' }).click();
  const file = await (await download).path();
  const text = readFileSync(file!, 'utf8');
  const [header, ...lines] = text.trim().split('\n');
  const cols = header!.split(',');
  for (const c of ['note', 'tags', 'setup.predictor.kind', 'setup.seed', 'setup.optim.maxSteps', 'setup.predictor.rho']) assert.ok(cols.includes(c), `column ${c}`);
  assert.equal(lines.length, 2);
  const byName = (n: string) => lines.find((l) => l.includes(n))!.split(',');
  assert.equal(byName('quick none')[cols.indexOf('setup.predictor.kind')], 'none');
  assert.equal(byName('from json')[cols.indexOf('setup.seed')], '2');
  assert.equal(byName('from json')[cols.indexOf('note')], 'baseline for the ablation');
  await shot('archive-export');
  // Nothing selected: the export button is disabled and says why.
  await fx.page.getByRole('button', { name: 'none', exact: true }).click();
  await fx.page.getByTestId('export-why').filter({ hasText: 'Select the runs to export first.' }).waitFor();
});

/**
 * A view is ready for its screenshot once nothing on it says "Loading…" (the run view's charts wait
 * for their series) or "computing…" (the theory view's collapse diagram), the theory view shows its
 * fixed points and its diagram, two frames have been drawn since and its transitions have ended: a
 * condition instead of a fixed 0.7 s (1.5 s for theory) per view and theme.
 */
async function settled(id: string): Promise<void> {
  await until(async () => (await fx.page.getByText(/^(Loading|computing)…$/).filter({ visible: true }).count()) === 0, 30_000, `the ${id} view has loaded`);
  if (id === 'theory') {
    await fx.page.getByTestId('fixed-count').waitFor({ timeout: 30_000 });
    await fx.page.getByTestId('diagram').waitFor({ timeout: 30_000 });
  }
  // Passed as text (the page has none of tsx's helpers); finite CSS transitions, such as the
  // progress bar's width, end before the picture is taken.
  await fx.page.evaluate(`new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() =>
    Promise.all(document.getAnimations().filter((a) => a.effect && a.effect.getComputedTiming().endTime !== Infinity).map((a) => a.finished.catch(() => null))).then(() => done()))))`);
}

test('screenshots of every view in both themes at 1440×900', { timeout: 180_000 }, async () => {
  const views: [string, string][] = [['Compose', 'compose'], ['Runs', 'runs'], ['Live run', 'run'], ['Compare', 'compare'], ['Sweeps', 'sweeps'], ['Theory', 'theory'], ['Archive', 'archive']];
  for (const theme of ['light', 'dark']) {
    const cur = await fx.page.evaluate(() => (globalThis as unknown as { document: { documentElement: { dataset: { theme?: string } } } }).document.documentElement.dataset.theme);
    if (cur !== theme) {
      await fx.page.locator('body').press('Alt+t');
      await until(async () => (await fx.page.evaluate(() => (globalThis as unknown as { document: { documentElement: { dataset: { theme?: string } } } }).document.documentElement.dataset.theme)) === theme, 5000, `theme ${theme}`);
    }
    for (const [label, id] of views) {
      if (id === 'run') {
        await fx.page.goto(`${fx.lab.url}#/run/${ids.dp}`);
        await fx.page.reload();
      } else await go(label);
      await fx.page.locator('h1').first().waitFor();
      await settled(id);
      await shot(`${id}-${theme}`);
    }
  }
  assert.deepEqual(fx.lab.pageErrors, []);
});

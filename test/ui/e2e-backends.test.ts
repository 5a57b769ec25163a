// End to end, in Debian Chromium against the real `dplab serve` (issue 11, "the app shows the same
// list"): the status bar's backend opens the Backends panel, whose rows are what the real
// `dplab backends --json --quick` says on this machine, word for word — wasm loads, tfjs-node-gpu
// names the CUDA it needs, webgpu shows its adapter (SwiftShader, a software adapter, when
// VK_ICD_FILENAMES points at it) or why it does not load, and auto's pick is marked. Measure shows
// progress and can be cancelled. Screenshots (light, dark, measuring) go to test-artifacts/ui-backends/.
import { before, after } from 'node:test';
import { browserTest as test, CHROMIUM } from '../browser.ts';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openLab, ROOT, type LabPage } from './harness.ts';
import { BackendsReportSchema, type BackendsReport } from '../../src-main/common/backends.ts';

const ART = join(ROOT, 'test-artifacts', 'ui-backends');

let tmp = '';
let lab: LabPage | null = null;
let page: Page;
let cli: BackendsReport;

before(async () => {
  if (CHROMIUM.skip) return;
  mkdirSync(ART, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), 'dplab-backends-ui-'));
  // What the command line says here, in the same environment the server (and its child) gets.
  const r = spawnSync(process.execPath, ['bin/dplab.mjs', 'backends', '--json', '--quick'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  cli = BackendsReportSchema.parse(JSON.parse(r.stdout));
  lab = await openLab(join(tmp, 'lab.sqlite'), { width: 1280, height: 860 });
  page = lab.page;
});

after(async () => {
  await lab?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('status bar → backend opens the Backends panel with the rows dplab backends gives', async () => {
  await page.getByTestId('backend').click();
  const panel = page.getByTestId('backends-panel');
  await panel.waitFor({ timeout: 10_000 });
  const rows = panel.getByTestId('backend-row');
  await rows.first().waitFor({ timeout: 120_000 });
  assert.deepEqual(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-kind'))), ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu']);

  const row = (kind: string) => panel.locator(`[data-testid="backend-row"][data-kind="${kind}"]`);
  assert.equal(await row('wasm').getAttribute('data-loads'), 'true');
  assert.match(await row('wasm').innerText(), /✓ loads/);

  // Exactly the CLI's words, row by row; and whether each loads.
  for (const b of cli.backends) {
    assert.equal(await row(b.kind).getAttribute('data-loads'), String(b.loads), b.kind);
    const reason = row(b.kind).getByTestId('backend-reason');
    if (b.reason) assert.equal(await reason.innerText(), b.reason, `${b.kind}: the panel shows the CLI's reason`);
    else assert.equal(await reason.count(), 0, b.kind);
  }
  const gpuNode = cli.backends.find((b) => b.kind === 'tfjs-node-gpu')!;
  if (!gpuNode.loads) {
    assert.match(await row('tfjs-node-gpu').innerText(), /✗ no/);
    assert.match(await row('tfjs-node-gpu').getByTestId('backend-needs').innerText(), /CUDA 11\.2 .*cuDNN 8\.1/);
  }

  // webgpu: its adapter when it loads (SwiftShader here is a software adapter), else why not.
  const gpu = cli.backends.find((b) => b.kind === 'webgpu')!;
  if (gpu.loads && gpu.adapter) {
    const a = await row('webgpu').getByTestId('backend-adapter').innerText();
    assert.match(a, gpu.adapter.fallback ? /software adapter/ : /hardware adapter/);
    assert.ok(a.includes(gpu.adapter.vendor) && a.includes(gpu.adapter.architecture) && a.includes(gpu.adapter.description), a);
  } else {
    assert.match(await row('webgpu').getByTestId('backend-reason').innerText(), /webgpu/);
  }

  // auto's pick: one row marked, the CLI's, and it loads.
  const marked = panel.locator('[data-testid="backend-row"][data-auto="true"]');
  assert.equal(await marked.count(), 1);
  assert.equal(await marked.getAttribute('data-kind'), cli.auto);
  assert.match(await marked.innerText(), /auto/);
  assert.equal(await marked.getAttribute('data-loads'), 'true');
  assert.equal(await panel.getByTestId('backends-auto').innerText(), cli.auto);
  // The status bar names the backend runs train on: auto's pick as the report found it.
  assert.match(await page.getByTestId('backend').innerText(), new RegExp(`^backend: ${cli.auto}\\b`));

  await page.screenshot({ path: join(ART, 'backends-panel.png') });
  await page.keyboard.press('Alt+t');
  await page.screenshot({ path: join(ART, 'backends-panel-dark.png') });
  await page.keyboard.press('Alt+t');
  assert.deepEqual(lab!.pageErrors, []);
});

test('Measure shows progress and Cancel stops it; Escape closes the panel', async () => {
  const panel = page.getByTestId('backends-panel');
  await panel.getByTestId('backends-measure').click();
  await panel.getByTestId('backends-measuring').waitFor({ timeout: 10_000 });
  // The first stage line arrives from the child process (`progress: …` on its stderr).
  await panel.getByText(/tfjs-node-gpu: loading|: loading…|: timing/).first().waitFor({ timeout: 120_000 });
  await page.waitForTimeout(500); // the bar's width transition
  await page.screenshot({ path: join(ART, 'backends-measuring.png') });
  await panel.getByTestId('backends-cancel').click();
  await panel.getByTestId('backends-error').waitFor({ timeout: 30_000 });
  assert.match(await panel.getByTestId('backends-error').innerText(), /was cancelled/);
  assert.equal(await panel.getByTestId('backends-measuring').count(), 0);
  // The quick rows are still there after the cancel.
  assert.equal(await panel.getByTestId('backend-row').count(), 5);
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached', timeout: 5_000 });
  assert.deepEqual(lab!.pageErrors, []);
});

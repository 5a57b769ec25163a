// End to end, in Debian Chromium against the real `dplab serve`: the composer's Data block shows the
// 'invariance' dataset's generator parameters, one field per key of the setup schema's
// InvarianceSchema (read here from the schema, so a renamed or added parameter is checked too) with
// the schema's doc text as help; an out-of-range value is refused inline; an edited parameter reaches
// the JSON preview, a saved-and-loaded setup and the archived setup of the run it starts.
// Screenshot: test-artifacts/ui-invariance/compose-invariance.png.
import { browserTest as test } from '../browser.ts';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { labPerFile, ROOT, until } from './harness.ts';
import { openArchive } from '../../src-main/archive/archive.ts';
import { InvarianceSchema } from '../../src-main/common/setup.ts';
import { FINAL_STATUSES, type RunStatus } from '../../src-main/common/events.ts';
import { fieldInfo } from '../../src-renderer/src/lib/setupModel.ts';

const ART = join(ROOT, 'test-artifacts', 'ui-invariance');

const fx = labPerFile({ prefix: 'dplab-inv-', art: ART, viewport: { width: 1280, height: 900 } });

const field = (path: string) => fx.page.locator(`.field[data-path="${path}"]`);

test('invariance: its generator parameters are fields from the schema, validated, and reach the JSON, saved setups and the run', { timeout: 240_000 }, async () => {
  const keys = Object.keys(InvarianceSchema.shape) as (keyof typeof InvarianceSchema.shape)[];
  await fx.page.keyboard.press('Alt+1');
  await fx.page.locator('select[aria-label="Preset"] option[value="simsiam"]').waitFor({ state: 'attached', timeout: 30_000 });
  // Quick test first (small encoder, few steps), then the dataset: the run below stays seconds long.
  await fx.page.locator('label.quick input').check();
  await fx.page.locator('[data-block="data"]').first().click();
  await field('data.synthetic.size').waitFor(); // the quick setup's synthetic data shows its parameters
  await field('data.dataset').locator('select').selectOption('invariance');
  // The quick-test tag names the data it will run on, not the quick setup's synthetic shapes.
  await until(async () => /quick test: dataset invariance/.test((await fx.page.locator('span.tag', { hasText: 'quick test' }).textContent()) ?? ''), 10_000, 'the quick-test tag names the invariance dataset');

  // One field per schema key, in schema order, each with the schema's doc text as its help.
  const params = fx.page.getByTestId('dataset-params');
  await params.locator('.field[data-path="data.invariance.' + keys[0] + '"]').waitFor();
  const paths = await params.locator('.field').evaluateAll((els) => els.map((e) => e.getAttribute('data-path')));
  assert.deepEqual(paths, keys.map((k) => `data.invariance.${k}`));
  for (const k of keys) {
    const doc = InvarianceSchema.shape[k].description;
    assert.ok(doc, `data.invariance.${k} has doc text`);
    assert.equal((await field(`data.invariance.${k}`).locator('.help').textContent())?.trim(), doc);
  }

  // Validated like every field: one past the maximum of the first integer parameter.
  const intKey = keys.find((k) => fieldInfo(`data.invariance.${k}`)?.type === 'int' && fieldInfo(`data.invariance.${k}`)?.max !== undefined)!;
  const intInfo = fieldInfo(`data.invariance.${intKey}`)!;
  await field(`data.invariance.${intKey}`).locator('input').fill(String(intInfo.max! + 1));
  const err = field(`data.invariance.${intKey}`).locator('.err');
  await err.waitFor();
  assert.match((await err.textContent()) ?? '', new RegExp(String(intInfo.max)));
  assert.equal(await fx.page.getByRole('button', { name: 'Start run' }).isDisabled(), true);
  assert.equal(await fx.page.locator('[data-block="data"].bad').count(), 2, 'both data blocks of the diagram are flagged');
  await field(`data.invariance.${intKey}`).locator('input').fill(String(intInfo.default));
  await err.waitFor({ state: 'detached' });

  // Change one real-valued parameter to a value inside its range other than its default.
  const numKey = keys.find((k) => fieldInfo(`data.invariance.${k}`)?.type === 'number')!;
  const numInfo = fieldInfo(`data.invariance.${numKey}`)!;
  const mid = (numInfo.min! + numInfo.max!) / 2;
  const value = mid === numInfo.default ? numInfo.min! : mid;
  await field(`data.invariance.${numKey}`).locator('input').fill(String(value));
  // Small images and splits (two quick-test batches of pre-training images), so the run below is cheap.
  for (const [k, v] of [['size', 16], ['train', 64], ['test', 16]] as const) {
    if (fieldInfo(`data.invariance.${k}`)) await field(`data.invariance.${k}`).locator('input').fill(String(v));
  }
  await fx.page.screenshot({ path: join(ART, 'compose-invariance.png') });

  // The JSON preview holds the dataset and the edited parameter.
  await fx.page.getByRole('button', { name: 'Edit JSON…' }).click();
  const json = JSON.parse(await fx.page.getByRole('textbox', { name: 'Setup JSON' }).inputValue()) as { data: { dataset: string; invariance: Record<string, unknown> } };
  assert.equal(json.data.dataset, 'invariance');
  assert.equal(json.data.invariance[numKey], value);
  assert.deepEqual(Object.keys(json.data.invariance).sort(), [...keys].sort());
  await fx.page.getByRole('button', { name: 'Close' }).click();

  // Saved in the browser, replaced by a preset, loaded back: the parameter comes back with it.
  await fx.page.getByRole('textbox', { name: 'Save as' }).fill('invariance edit');
  await fx.page.getByRole('button', { name: 'Save', exact: true }).click();
  await fx.page.selectOption('select[aria-label="Preset"]', 'simsiam');
  await fx.page.locator('[data-block="data"]').first().click();
  assert.equal(await field(`data.invariance.${numKey}`).count(), 0);
  await fx.page.selectOption('select[aria-label="Load a saved setup"]', 'invariance edit');
  assert.equal(await field('data.dataset').locator('select').inputValue(), 'invariance');
  assert.equal(Number(await field(`data.invariance.${numKey}`).locator('input').inputValue()), value);

  // The run it starts records the parameter in its archived setup.
  await field('optim.maxSteps').locator('input').fill('2');
  const before = fx.page.url();
  await fx.page.getByRole('button', { name: 'Start run' }).click();
  await until(async () => /#\/run\/[\w-]+/.test(fx.page.url()) && fx.page.url() !== before, 30_000, 'the live view of the new run opens');
  const id = /#\/run\/([\w-]+)/.exec(fx.page.url())![1]!;
  const badge = fx.page.locator('.live .badge');
  await until(async () => FINAL_STATUSES.has((await badge.getAttribute('data-status')) as RunStatus), 180_000, 'the run ends');
  const error = await fx.page.locator('.live p.err').allTextContents();
  assert.equal(await badge.getAttribute('data-status'), 'completed', `the run failed: ${error.join(' ')}`);
  const archive = openArchive(fx.file, { readonly: true });
  try {
    const run = archive.getRun(id)!;
    const data = run.setup.data as { dataset: string; invariance: Record<string, unknown> };
    assert.equal(data.dataset, 'invariance');
    assert.equal(data.invariance[numKey], value);
    assert.equal(run.dataset?.name, 'invariance');
  } finally {
    archive.close();
  }
  assert.deepEqual(fx.lab.pageErrors, []);
});

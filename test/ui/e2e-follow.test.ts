// End to end, in Debian Chromium against the real `dplab serve` (issue 23, views that follow the
// work): Live run opens the run that is training and picks among the running ones; two runs that
// prefer one colour get two in one Compare chart; the ? sheet lists the sidebar's views; and every
// visible text of every view, in both themes, reads at ≥ 4.5:1 against its background (WCAG AA,
// from computed styles; the charts' canvas text from the colours it is drawn in, and SVG text from
// its fill). The archive is recorded beforehand: 22 finished runs, two "running" and
// three queued runs owned by this test process (so the server leaves them as they are), two of
// them runs of a paper claim. The Paper view says how many runs a claim needs, cancels those under
// way, keeps its detail panel in view, and shows the committed report's results as a reference
// where the archive holds none of a claim's runs.
// Screenshots: test-artifacts/ui-follow/<view>-<theme>.png.
import { browserTest as test } from '../browser.ts';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { labPerFile, pendingWork, ROOT, until } from './harness.ts';
import { openArchive } from '../../src-main/archive/archive.ts';
import { parseSetup } from '../../src-main/common/setup.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import { armSetup } from '../../src-main/reproduce/claims.ts';
import { parseReport } from '../../src-main/reproduce/reference.ts';
import { readFileSync } from 'node:fs';

// Page-side code inside evaluate runs in Chromium; the Node tsconfig has no DOM types.
declare const getComputedStyle: (e: unknown) => { backgroundColor: string; borderColor: string };

const ART = join(ROOT, 'test-artifacts', 'ui-follow');
const committedReport = parseReport(readFileSync(join(ROOT, 'docs/reproduction/report.md'), 'utf8'));
const T0 = Date.UTC(2026, 11, 1, 12);

const fx = labPerFile({
  prefix: 'dplab-follow-',
  art: ART,
  viewport: { width: 1440, height: 900 },
  prepare: (file) => {
    const a = openArchive(file);
    try {
      const setup = parseSetup({}) as unknown as Record<string, unknown>;
      for (let i = 0; i < 22; i++) {
        const name = `done ${String(i).padStart(2, '0')}`;
        const r = a.createRun({ name, setup: { ...setup, seed: i }, setupHash: `h${i}`, seed: i, status: 'running', createdAt: T0 + i * 60_000 });
        a.appendEvents(r.uuid, [
          ...Array.from({ length: 10 }, (_, s) => ({ type: 'scalars' as const, step: s + 1, epoch: (s + 1) / 10, values: { loss: 4 - s * 0.1 - i * 0.01 } })),
          { type: 'finished', outcome: 'completed', summary: { outcome: 'completed', setupHash: `h${i}`, backend: 'wasm', steps: 10, epochs: 1, finalLoss: 3, collapseStd: 0.5, effectiveRank: 4, probeAcc: 0.5, knnAcc: 0.5, imagesPerSec: 100, wallSec: 10 } },
        ]);
      }
      // Owned by this (live) process: `dplab serve` neither recovers nor starts them.
      const owner = { pid: process.pid, start: null };
      const running = (name: string, k: number, startedAt: number) => {
        const r = a.createRun({ name, setup: { ...setup, seed: 100 + k }, setupHash: `run${k}`, seed: 100 + k, status: 'queued', createdAt: T0 + (30 + k) * 60_000, owner });
        a.setStatus(r.uuid, 'running', { startedAt, ownerPid: process.pid });
        return r.uuid;
      };
      running('training A', 0, T0 + 40 * 60_000);
      const b = running('training B', 1, T0 + 41 * 60_000);
      // Its random-init evaluation: the accuracy chart's labelled markers and a representation picture.
      a.appendEvents(b, [
        { type: 'scalars', step: 1, epoch: 0.1, values: { loss: 4 } },
        { type: 'projection', step: 0, epoch: 0, x: [-1, -0.5, 0.4, 1.1], y: [0.2, -0.3, 0.5, -0.4], labels: [0, 1, 2, 3], classNames: ['a', 'b', 'c', 'd'], explained: [0.6, 0.3], totalVariance: 0.8, relativeVariance: 0.4 },
        { type: 'eval', step: 0, epoch: 0, probeAcc: 0.31, knnAcc: 0.27, probeTrainAcc: 0.35 },
      ]);
      // Two of the six runs 'no-stop-gradient-collapses' needs at seeds 0–2, queued by this process.
      for (const [arm, seed] of [['no-stop-gradient', 0], ['simsiam-linear', 1]] as const) {
        const s = armSetup(arm, seed);
        a.createRun({ name: `${arm}/seed${seed}`, setup: s as unknown as Record<string, unknown>, setupHash: setupHash(s), seed, status: 'queued', createdAt: T0 + (45 + seed) * 60_000, owner });
      }
      for (let k = 0; k < 3; k++) a.createRun({ name: `waiting ${k}`, setup: { ...setup, seed: 200 + k }, setupHash: `q${k}`, seed: 200 + k, status: 'queued', createdAt: T0 + (50 + k) * 60_000, owner });
    } finally {
      a.close();
    }
  },
});

const h1 = (page: Page) => page.locator('main h1').first();

test('Live run opens the run that is training, and its picker switches among the running runs', { timeout: 180_000 }, async () => {
  const { page } = fx;
  await page.keyboard.press('Alt+3');
  await until(async () => (await h1(page).innerText()) === 'training B', 60_000, 'Live run shows the latest started running run (not the newest queued one)');
  const picker = page.getByTestId('training-picker');
  assert.deepEqual(await picker.locator('button[data-run]').allInnerTexts(), ['training B', 'training A']);
  await picker.locator('button', { hasText: 'training A' }).click();
  await until(async () => (await h1(page).innerText()) === 'training A', 30_000, 'the picker opens the other running run');
  assert.equal(await picker.locator('button', { hasText: 'training A' }).getAttribute('aria-pressed'), 'true');
  await picker.locator('button', { hasText: 'follow' }).click();
  await until(async () => (await h1(page).innerText()) === 'training B', 30_000, '"follow" goes back to the run that is training');
  await page.screenshot({ path: join(ART, 'live-run-training.png') });
});

test('two runs that prefer one palette colour get two colours in one Compare chart', { timeout: 180_000 }, async () => {
  const { page } = fx;
  await page.keyboard.press('Alt+4');
  await page.locator('h1', { hasText: 'Compare runs' }).waitFor({ timeout: 60_000 });
  const labels = page.locator('ul[aria-label="Runs"] label');
  await labels.first().waitFor({ timeout: 30_000 });
  // The 1st and the 21st run of the archive: the same entry of the 20-colour palette.
  const swatchOf = (name: string) => labels.filter({ hasText: name }).locator('.swatch').evaluate((e) => getComputedStyle(e).backgroundColor);
  assert.equal(await swatchOf('done 00'), await swatchOf('done 20'), 'unselected, both show their own (shared) palette colour');
  await labels.filter({ hasText: 'done 00' }).locator('input').check();
  await labels.filter({ hasText: 'done 20' }).locator('input').check();
  const chart = page.locator('figure[data-chart="loss vs step"]');
  await until(async () => (await chart.locator('.u-legend .u-series').count()) === 3, 60_000, 'the legend lists x and two runs');
  const marker = (name: string) => chart.locator('.u-legend .u-series', { hasText: name }).locator('.u-marker').evaluate((e) => getComputedStyle(e).borderColor);
  const [a, b] = [await marker('done 00'), await marker('done 20')];
  assert.notEqual(a, b, `both lines drawn in ${a}`);
  // The picker's swatches and the table's show the chart's colours.
  assert.equal(await swatchOf('done 00'), a);
  assert.equal(await swatchOf('done 20'), b);
  const rows = page.locator('[data-testid="compare-table"] tbody tr');
  assert.equal(await rows.filter({ hasText: 'done 20' }).locator('.sw').evaluate((e) => getComputedStyle(e).backgroundColor), b);
  await page.screenshot({ path: join(ART, 'compare-colliding-runs.png') });
});

test('the ? sheet lists every view of the sidebar with its Alt key', { timeout: 60_000 }, async () => {
  const { page } = fx;
  await page.locator('main').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('?');
  const sheet = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await sheet.waitFor({ timeout: 10_000 });
  const sidebar = await page.locator('nav.sidebar button').evaluateAll((bs) => bs.map((b) => [b.querySelector('kbd')!.textContent!.trim(), b.querySelector('span')!.textContent!.trim()]));
  assert.ok(sidebar.length >= 8, `sidebar lists ${sidebar.length} views`);
  const listed = await sheet.locator('[data-group="Views"] dt').evaluateAll((dts) => dts.map((dt) => [dt.textContent!.trim(), dt.nextElementSibling!.textContent!.trim()]));
  assert.deepEqual(listed, sidebar);
  const span = await sheet.locator('[data-group="Everywhere"] dt').first().innerText();
  assert.equal(span, `Alt 1 … ${sidebar.length}`);
  await page.keyboard.press('Escape');
  await sheet.waitFor({ state: 'detached', timeout: 10_000 });
});

test('Paper: not run, the runs a claim needs, cancel, a sticky detail panel and the committed report as a reference', { timeout: 240_000 }, async () => {
  const { page } = fx;
  await page.keyboard.press('Alt+8');
  const tally = page.getByTestId('tally');
  await tally.waitFor({ timeout: 120_000 });
  // No claim run is completed: every experiment claim is "not run", none "inconclusive".
  assert.match(await tally.innerText(), /0 inconclusive/);
  assert.match(await tally.innerText(), /[1-9]\d* not run/);

  await page.locator('button[data-claim="no-stop-gradient-collapses"]').click();
  const detail = page.getByTestId('claim-detail');
  await until(async () => /Without stop-gradient/.test(await detail.locator('h2').innerText()), 30_000, 'the claim is shown');
  const plan = detail.getByTestId('claim-plan');
  await until(async () => /Needs 6 runs \(2 arms × 3 seeds\): 0 in the archive, 2 queued or training, 4 to train/.test(await plan.innerText()), 60_000, `the plan counts the queued runs (${await plan.innerText()})`);
  // The reference: this archive holds none of the claim's runs; the committed report does.
  const ref = detail.getByTestId('claim-reference');
  assert.match(await ref.innerText(), /Reference: the committed report, not this archive/);
  // The header facts as the committed report states them (its date moves when the report is rerun).
  assert.ok((await ref.innerText()).includes(`docs/reproduction/report.md of ${committedReport.date} (lab version 0.1.0, wasm backend), seeds 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011`), await ref.innerText());
  assert.match(await ref.innerText(), /Its verdict: reproduced/);
  assert.match(await ref.locator('table').first().innerText(), /linear W_p, no EMA, no stop-gradient\s+3\s+0\.012 ± 0\.002/);
  await page.screenshot({ path: join(ART, 'paper-claim-plan.png') });

  // Cancel: both queued runs of the claim end cancelled, and the plan says so.
  await detail.getByTestId('cancel-claim').click();
  await until(async () => /0 in the archive, 6 to train/.test(await plan.innerText()), 60_000, `the plan counts no run under way (${await plan.innerText()})`);
  assert.equal(await detail.getByTestId('cancel-claim').count(), 0);

  // The first claim (the headline, newest in the registry) has its reference too: the committed
  // report ran every claim, so "no reference" is only for claims added after it.
  await page.locator('button[data-claim]').first().click();
  await until(async () => (await detail.getByTestId('claim-plan').count()) === 1 && (await detail.locator('h2').innerText()) !== 'Without stop-gradient, training collapses', 30_000, 'the first claim is shown');
  const first = await page.locator('button[data-claim]').first().getAttribute('data-claim');
  assert.ok(first && committedReport.claims.has(first), `the first claim (${first}) is in the committed report`);
  await detail.getByTestId('claim-reference').waitFor({ timeout: 30_000 });
  assert.match(await detail.getByTestId('claim-reference').innerText(), new RegExp(`Its verdict: ${committedReport.claims.get(first)!.verdict}`, 'i'));

  // Sticky: with the content scrolled to the end of the claims list, the detail panel is in view.
  const content = page.locator('main.content');
  await content.evaluate((el) => (el.scrollTop = el.scrollHeight));
  await until(async () => (await content.evaluate((el) => el.scrollTop)) > 200, 10_000, 'the content scrolls');
  const box = (await detail.boundingBox())!;
  const main = (await content.boundingBox())!;
  assert.ok(box.y >= main.y - 1 && box.y < main.y + 100, `detail panel top at ${box.y}, content top at ${main.y}`);
  assert.ok(box.y + box.height <= main.y + main.height + 1, `detail panel bottom at ${box.y + box.height}, content bottom at ${main.y + main.height}`);
  await page.screenshot({ path: join(ART, 'paper-scrolled.png') });
  await content.evaluate((el) => (el.scrollTop = 0));
  // Leave the claim with a reference shown, so the contrast walk below reads that panel too.
  await page.locator('button[data-claim="no-stop-gradient-collapses"]').click();
  await detail.getByTestId('claim-reference').waitFor({ timeout: 30_000 });
});

/** One text that reads under 4.5:1. */
interface LowContrast {
  text: string;
  where: string;
  fg: string;
  bg: string;
  ratio: number;
}

/** What one look at a page found: the texts under 4.5:1, and how many canvas and SVG texts it read. */
interface ContrastLook {
  low: LowContrast[];
  canvasTexts: number;
  svgTexts: number;
}

/**
 * Every visible text of the page (text nodes, and the values of inputs and selects) with its
 * colour against its effective background: the computed background colours of its ancestors,
 * composited until one is opaque (the page's background under all). Opacity of the element and its
 * ancestors fades the text into that background. Disabled controls are exempt (WCAG 1.4.3). SVG
 * text is read in its fill against the same CSS background (a shape drawn under it, e.g. a Compose
 * block, is not composited); the report's figures (`figure.fig`) draw on their own white and are
 * left out. Canvas text (uPlot's axes, the y titles and marker labels Chart.svelte draws) is read
 * in the colour each `fillText` used, recorded by `CANVAS_HOOK_JS`, against the canvas's background.
 */
async function lowContrast(page: Page): Promise<ContrastLook> {
  return (await page.evaluate(CONTRAST_JS)) as ContrastLook;
}

/**
 * Installed before the page's scripts: records, per canvas, each text drawn with `fillText` and its
 * fill colour and alpha, forgotten when the whole canvas is cleared or painted over.
 */
const CANVAS_HOOK_JS = `(() => {
  const P = CanvasRenderingContext2D.prototype;
  const texts = new WeakMap();
  const fillText = P.fillText;
  const clearRect = P.clearRect;
  P.fillText = function (text, ...rest) {
    const t = String(text);
    if (t.trim() && typeof this.fillStyle === 'string') {
      let m = texts.get(this.canvas);
      if (!m) texts.set(this.canvas, (m = new Map()));
      m.set(t + '\u0000' + this.fillStyle + '\u0000' + this.globalAlpha, { text: t, fill: this.fillStyle, alpha: this.globalAlpha });
    }
    return fillText.call(this, text, ...rest);
  };
  const fillRect = P.fillRect;
  // A clear or an opaque fill of the whole canvas (uPlot clears; the Theory plots paint their
  // background, also on a theme change) covers every text drawn before.
  const covers = (ctx, x, y, w, h) => {
    const m = ctx.getTransform();
    return m.a > 0 && m.d > 0 && m.e + x * m.a <= 0 && m.f + y * m.d <= 0 && m.e + (x + w) * m.a >= ctx.canvas.width && m.f + (y + h) * m.d >= ctx.canvas.height;
  };
  P.clearRect = function (x, y, w, h) {
    if (covers(this, x, y, w, h)) texts.delete(this.canvas);
    return clearRect.call(this, x, y, w, h);
  };
  P.fillRect = function (x, y, w, h) {
    // An opaque colour reads back as #rrggbb (a translucent one as rgba(…)).
    if (this.globalAlpha === 1 && /^#[0-9a-f]{6}$/i.test(String(this.fillStyle)) && covers(this, x, y, w, h)) texts.delete(this.canvas);
    return fillRect.call(this, x, y, w, h);
  };
  Object.defineProperty(window, '__canvasTexts', { value: (c) => [...(texts.get(c)?.values() ?? [])] });
})()`;

/** The page-side walk of `lowContrast`, as plain JavaScript (the Node tsconfig has no DOM types). */
const CONTRAST_JS = `(() => {
    const parse = (c) => {
      const hex = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(c);
      if (hex) {
        const n = parseInt(hex[1], 16);
        return [(n >> 16) & 255, (n >> 8) & 255, n & 255, hex[2] ? parseInt(hex[2], 16) / 255 : 1];
      }
      const m = /rgba?\\(([^)]+)\\)/.exec(c);
      if (!m) return null;
      const p = m[1].split(/[\\s,/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    };
    const over = (top, under) => {
      const a = top[3] + under[3] * (1 - top[3]);
      if (a === 0) return [0, 0, 0, 0];
      const ch = (i) => (top[i] * top[3] + under[i] * under[3] * (1 - top[3])) / a;
      return [ch(0), ch(1), ch(2), a];
    };
    const lum = (c) => {
      const lin = (v) => {
        const x = v / 255;
        return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
    };
    const ratio = (a, b) => {
      const [x, y] = [lum(a), lum(b)];
      return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
    };
    const pageBg = parse(getComputedStyle(document.documentElement).backgroundColor);
    const base = pageBg && pageBg[3] > 0 ? [pageBg[0], pageBg[1], pageBg[2], 1] : [255, 255, 255, 1];
    const background = (el) => {
      const layers = [];
      for (let e = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c && c[3] > 0) {
          layers.push(c);
          if (c[3] >= 1) break;
        }
      }
      let bg = base;
      for (const l of layers.reverse()) bg = over(l, bg);
      return bg;
    };
    const opacity = (el) => {
      let o = 1;
      for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
      return o;
    };
    const path = (el) => {
      const parts = [];
      for (let e = el; e && parts.length < 4; e = e.parentElement) parts.unshift(\`\${e.tagName.toLowerCase()}\${e.className && typeof e.className === 'string' ? \`.\${e.className.trim().split(/\\s+/).join('.')}\` : ''}\`);
      return parts.join(' > ');
    };
    const out = [];
    const seen = new Set();
    let canvasTexts = 0;
    let svgTexts = 0;
    /** Records \`text\` in colour \`color\` (CSS text) at opacity \`o\` over the background of \`el\` when under 4.5:1. */
    const judge = (el, text, color, o, where) => {
      const fg = parse(color);
      if (!fg || fg[3] === 0 || o < 0.05) return;
      const bg = background(el);
      const shown = over([fg[0], fg[1], fg[2], fg[3] * o], bg);
      const q = ratio(shown, bg);
      if (q < 4.5) out.push({ text: text.trim().slice(0, 50), where, fg: color, bg: \`rgb(\${bg.slice(0, 3).map(Math.round).join(', ')})\`, ratio: Math.round(q * 100) / 100 });
    };
    const shownBox = (el) => {
      const cs = getComputedStyle(el);
      if (cs.visibility !== 'visible' || el.getClientRects().length === 0) return false;
      const r = el.getBoundingClientRect();
      return r.width >= 1 && r.height >= 1;
    };
    const check = (el, text) => {
      if (seen.has(el)) return;
      seen.add(el);
      if (el.closest('canvas, [disabled], :disabled, [aria-hidden="true"], figure.fig')) return;
      if (!shownBox(el)) return;
      const svg = el.closest('svg');
      // SVG text is painted in its fill (\`color\` does not apply); <title> is a tooltip, not drawn.
      if (svg) {
        const t = el.closest('text');
        if (!t) return;
        svgTexts++;
        judge(t, text, getComputedStyle(t).fill, opacity(t) * Number(getComputedStyle(t).fillOpacity), \`svg text in \${path(svg)}\`);
        return;
      }
      judge(el, text, getComputedStyle(el).color, opacity(el), path(el));
    };
    for (const cv of document.querySelectorAll('canvas')) {
      if (cv.closest('[aria-hidden="true"]') || !shownBox(cv)) continue;
      for (const t of window.__canvasTexts?.(cv) ?? []) {
        canvasTexts++;
        judge(cv, t.text, t.fill, opacity(cv) * t.alpha, \`canvas text in \${path(cv)}\`);
      }
    }
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) if (n.textContent?.trim() && n.parentElement) check(n.parentElement, n.textContent);
    for (const el of document.querySelectorAll('input, select, textarea')) {
      const t = el.type;
      if (['checkbox', 'radio', 'range', 'color', 'hidden', 'file'].includes(t)) continue;
      const v = el instanceof HTMLSelectElement ? (el.selectedOptions[0]?.textContent ?? '') : el.value;
      if (v.trim()) check(el, v);
    }
    return { low: out, canvasTexts, svgTexts };
})()`;

/**
 * Waits until the view has finished drawing: nothing in flight (no request unanswered, no debounce
 * timer pending: harness pendingWork), no loading text, and the text the same after two animation
 * frames as before them.
 */
async function settled(page: Page, what: string): Promise<void> {
  const look = async () => ({ pending: await pendingWork(page), text: await page.locator('main').innerText() });
  await until(
    async () => {
      const a = await look();
      if (a.pending > 0 || /Loading…|Computing|computing…/.test(a.text)) return false;
      await page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');
      const b = await look();
      return b.pending === 0 && b.text === a.text;
    },
    90_000,
    `${what} settles`,
  );
}

test('every text of every view reads at ≥ 4.5:1 in the light and the dark theme', { timeout: 600_000 }, async () => {
  const { page } = fx;
  const views = await page.locator('nav.sidebar button').evaluateAll((bs) => bs.map((b) => [b.querySelector('kbd')!.textContent!.replace('Alt', '').trim(), b.querySelector('span')!.textContent!.trim()] as [string, string]));
  // Record canvas text from the page's first script on: the lab reloaded with the hook installed.
  await page.addInitScript(CANVAS_HOOK_JS);
  await page.reload();
  await page.getByTestId('backend').waitFor({ timeout: 60_000 });
  const failures: string[] = [];
  let looked = 0;
  /** Canvas and SVG texts read per theme and view ("dark · Live run" → count). */
  const canvasRead = new Map<string, number>();
  const svgRead = new Map<string, number>();
  for (const themeName of ['light', 'dark']) {
    if ((await page.locator('html').getAttribute('data-theme')) !== themeName) await page.keyboard.press('Alt+t');
    await until(async () => (await page.locator('html').getAttribute('data-theme')) === themeName, 10_000, `the ${themeName} theme`);
    for (const [key, label] of views) {
      await page.keyboard.press(`Alt+${key}`);
      await until(async () => (await page.locator('nav.sidebar button.active span').innerText()) === label, 30_000, `${label} is active`);
      await settled(page, label);
      await page.screenshot({ path: join(ART, `${label.toLowerCase().replace(/\s+/g, '-')}-${themeName}.png`) });
      const look = await lowContrast(page);
      for (const f of look.low) failures.push(`${themeName} · ${label}: "${f.text}" ${f.fg} on ${f.bg} = ${f.ratio}:1 (${f.where})`);
      canvasRead.set(`${themeName} · ${label}`, look.canvasTexts);
      svgRead.set(`${themeName} · ${label}`, look.svgTexts);
      looked++;
    }
    // The shortcut sheet, over the last view.
    await page.keyboard.press('?');
    await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor({ timeout: 10_000 });
    for (const f of (await lowContrast(page)).low) failures.push(`${themeName} · ? sheet: "${f.text}" ${f.fg} on ${f.bg} = ${f.ratio}:1 (${f.where})`);
    await page.keyboard.press('Escape');
  }
  assert.equal(looked, views.length * 2);
  // The walk read the charts' canvas text (uPlot's axes and titles, the random-init markers' labels;
  // the Theory view's own canvas plots) and the representation picture's SVG labels, in both themes.
  for (const themeName of ['light', 'dark']) {
    assert.ok((canvasRead.get(`${themeName} · Live run`) ?? 0) >= 10, `${themeName}: canvas texts read in Live run: ${canvasRead.get(`${themeName} · Live run`)}`);
    assert.ok((canvasRead.get(`${themeName} · Theory`) ?? 0) >= 10, `${themeName}: canvas texts read in Theory: ${canvasRead.get(`${themeName} · Theory`)} (${[...canvasRead].join('; ')})`);
    assert.ok((svgRead.get(`${themeName} · Live run`) ?? 0) >= 2, `${themeName}: SVG texts read in Live run: ${svgRead.get(`${themeName} · Live run`)}`);
  }
  assert.deepEqual([...new Set(failures)], [], `texts under 4.5:1:\n${[...new Set(failures)].join('\n')}`);
});

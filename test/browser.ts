/**
 * This machine's Chromium for the browser tests (found by test/system.ts; searched once, when a
 * browser test file loads this), and how they start it.
 */
import { chromium, type Browser } from 'playwright-core';
import { findChromium, testNeeding, type Found } from './system.ts';

/** Where Chromium is, or why the browser tests skip (under CI a missing one throws here). */
export const CHROMIUM: Found = findChromium();

/** A test that needs Chromium: skipped with the reason where this machine has none (never under CI). */
export const browserTest = testNeeding(CHROMIUM);

/** Headless Chromium without the background traffic a closed network refuses. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Starts this machine's Chromium headless; only where CHROMIUM.skip is false (a before hook checks). */
export function launchChromium(): Promise<Browser> {
  if (!CHROMIUM.path) throw new Error(CHROMIUM.skip || 'no Chromium');
  return chromium.launch({ executablePath: CHROMIUM.path, args: CHROMIUM_ARGS });
}

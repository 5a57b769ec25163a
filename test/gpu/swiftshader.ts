/**
 * The webgpu tests run on SwiftShader, the software Vulkan driver Chromium builds ship (Debian's
 * chromium package; libvulkan1 from apt loads it), found by test/system.ts: $VK_ICD_FILENAMES
 * wins. Without it they skip with the reason, except under CI=true, where they fail.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSwiftShader, testNeeding, type Found } from '../system.ts';

/** Where SwiftShader's ICD file is, or why the webgpu tests skip (under CI a missing one throws here). */
export const SWIFTSHADER: Found = findSwiftShader();

/** A test that needs SwiftShader: skipped with the reason where this machine has none (never under CI). */
export const swiftShaderTest = testNeeding(SWIFTSHADER);

/**
 * Points Vulkan at SwiftShader (unless the caller already chose an ICD) and gives Dawn a runtime
 * folder; returns the ICD file. Must run before Dawn loads (the Vulkan loader reads the variables
 * when the instance is created); only where SWIFTSHADER.skip is false (a before hook checks).
 */
export function useSwiftShader(): string {
  if (!SWIFTSHADER.path) throw new Error(SWIFTSHADER.skip || 'no SwiftShader');
  process.env.VK_ICD_FILENAMES ||= SWIFTSHADER.path;
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'dplab-xdg-'));
  return process.env.VK_ICD_FILENAMES;
}

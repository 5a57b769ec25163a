/**
 * The webgpu tests run on SwiftShader, the software Vulkan driver Debian's chromium package ships
 * (libvulkan1 from apt loads it). .ci/run exports VK_ICD_FILENAMES and XDG_RUNTIME_DIR; this sets
 * them when a developer runs a test file by hand. Must run before Dawn loads (the Vulkan loader
 * reads the variables when the instance is created).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's chromium packages put the SwiftShader ICD file. */
const ICD_CANDIDATES = ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib64/chromium/vk_swiftshader_icd.json'];

/** Points Vulkan at SwiftShader (unless the caller already chose an ICD); returns the ICD file. */
export function useSwiftShader(): string {
  if (!process.env.VK_ICD_FILENAMES) {
    const icd = ICD_CANDIDATES.find((f) => existsSync(f));
    if (!icd) {
      throw new Error(`SwiftShader's Vulkan ICD not found (looked in ${ICD_CANDIDATES.join(', ')}): ` +
        'apt-get install chromium libvulkan1, or set VK_ICD_FILENAMES');
    }
    process.env.VK_ICD_FILENAMES = icd;
  }
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'dplab-xdg-'));
  return process.env.VK_ICD_FILENAMES;
}

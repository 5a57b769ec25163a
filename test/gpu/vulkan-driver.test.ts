/**
 * Without a Vulkan driver, webgpu is refused with the reason and Dawn is never loaded, so a run on
 * a machine without a GPU driver prints no Vulkan loader warnings ("vkCreateInstance: Found no
 * drivers!"), which used to open every `dplab run` on such a machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vulkanDrivers } from '../../src-main/engine/webgpu.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('vulkanDrivers: the override wins; else the loader\'s ICD folders are searched', () => {
  assert.deepEqual(vulkanDrivers({ VK_ICD_FILENAMES: '/a/x.json:/b/y.json' }, () => []), ['/a/x.json', '/b/y.json']);
  assert.deepEqual(vulkanDrivers({ VK_DRIVER_FILES: '/c/z.json', VK_ICD_FILENAMES: '/a/x.json' }, () => []), ['/c/z.json']);
  const seen: string[] = [];
  const none = vulkanDrivers({ HOME: '/home/u' }, (d) => (seen.push(d), []));
  assert.deepEqual(none, []);
  for (const d of ['/etc/vulkan/icd.d', '/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/home/u/.local/share/vulkan/icd.d', '/etc/xdg/vulkan/icd.d']) {
    assert.ok(seen.includes(d), `searches ${d}`);
  }
  assert.deepEqual(vulkanDrivers({ HOME: '/h' }, (d) => (d === '/usr/share/vulkan/icd.d' ? [`${d}/nvidia_icd.json`] : [])), ['/usr/share/vulkan/icd.d/nvidia_icd.json']);
});

test('no Vulkan driver: a run prints no loader warnings and backends says why webgpu is out', { timeout: 300_000 }, (t) => {
  const env = { ...process.env };
  delete env.VK_ICD_FILENAMES;
  delete env.VK_DRIVER_FILES;
  if (process.platform !== 'linux' || vulkanDrivers(env).length > 0) {
    t.skip('this machine has a Vulkan driver installed');
    return;
  }
  const run = spawnSync(process.execPath, [join(ROOT, 'bin/dplab.mjs'), 'run', join(ROOT, 'examples/quick.json'), '--no-archive', '--set', 'optim.maxSteps=2'], { env, encoding: 'utf8', timeout: 240_000 });
  assert.equal(run.status, 0, run.stderr.slice(-1500));
  assert.doesNotMatch(run.stderr, /vkCreateInstance|VK_ERROR/);
  const rep = spawnSync(process.execPath, [join(ROOT, 'bin/dplab.mjs'), 'backends', '--json', '--quick'], { env, encoding: 'utf8', timeout: 240_000 });
  assert.equal(rep.status, 0, rep.stderr.slice(-1500));
  assert.doesNotMatch(rep.stderr, /vkCreateInstance/);
  assert.match(rep.stdout, /no Vulkan driver is installed/);
});

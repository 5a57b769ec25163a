import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { writeClassFolder, writeIdx } from './fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'dplab-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));
const cacheDir = join(root, 'cache');
const BIN = new URL('../../bin/dplab.mjs', import.meta.url).pathname;

/** Runs `dplab data …` in a child process with the test's cache folder. */
function dplab(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, 'data', ...args], { env: { ...process.env, DPLAB_DATA_DIR: cacheDir }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('dplab data', () => {
  test('import, list, verify, rm: exit codes and messages', () => {
    const src = join(root, 'digits');
    writeIdx(src, { n: 20, m: 6, h: 8, w: 8, gz: true });
    const imp = dplab('import', src, '--name', 'tiny');
    assert.equal(imp.code, 0, imp.err);
    assert.match(imp.out, /imported 'tiny' \(idx\): 8×8×1, 10 classes, train 20, test 6; sha256 [0-9a-f]{64}/);

    const dup = dplab('import', src, '--name', 'tiny');
    assert.equal(dup.code, 1);
    assert.match(dup.err, /already exists.*--force/);

    const list = dplab('list');
    assert.equal(list.code, 0);
    assert.match(list.out, /tiny\s+imported\s+8×8×1, 10 classes, train 20, test 6/);
    assert.match(list.out, /fashion-mnist-sample\s+bundled/);
    assert.ok(list.out.includes(cacheDir));

    const json = JSON.parse(dplab('list', '--json').out) as { datasets: Array<{ name: string; kind: string }> };
    assert.ok(json.datasets.some((d) => d.name === 'tiny' && d.kind === 'imported'));

    const ver = dplab('verify', 'tiny');
    assert.equal(ver.code, 0);
    assert.match(ver.out, /'tiny' is intact/);

    const rm = dplab('rm', 'tiny');
    assert.equal(rm.code, 0);
    assert.match(rm.out, /removed 'tiny'/);
    const rm2 = dplab('rm', 'tiny');
    assert.equal(rm2.code, 1);
    assert.match(rm2.err, /no dataset called 'tiny'/);
  });

  test('a corrupt source fails with 1, names the file, and leaves the cache empty', () => {
    const src = join(root, 'pics');
    writeClassFolder(src, ['a', 'b'], 3, 8, 8);
    writeFileSync(join(src, 'a', 'zz.jpg'), 'not a jpeg');
    const r = dplab('import', src, '--format', 'folder');
    assert.equal(r.code, 1);
    assert.ok(r.err.includes(join(src, 'a', 'zz.jpg')), r.err);
    assert.deepEqual(readdirSync(cacheDir).filter((n) => n.startsWith('pics') || n.startsWith('.')), []);
  });

  test('usage errors exit with 2', () => {
    assert.equal(dplab().code, 2);
    assert.equal(dplab('import').code, 2);
    assert.equal(dplab('import', root, '--size', 'big').code, 2);
    assert.equal(dplab('import', root, '--channels', '2').code, 2);
    assert.equal(dplab('import', root, '--bogus', '1').code, 2);
    const u = dplab('frobnicate');
    assert.equal(u.code, 2);
    assert.match(u.err, /unknown sub-command 'frobnicate'/);
    assert.equal(dplab('--help').code, 0);
  });

  test('formats lists every registered reader', () => {
    const r = dplab('formats');
    assert.equal(r.code, 0);
    for (const f of ['idx', 'cifar10', 'cifar100', 'stl10', 'folder']) assert.match(r.out, new RegExp(`^\\s+${f}\\s`, 'm'));
  });
});

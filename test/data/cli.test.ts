// `dplab data` through the CLI: exit codes and messages of import, list, verify, rm and formats; the
// first import in a real `dplab` process, the other calls through the CLI's main() in this process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pngBomb } from './bombs.ts';
import { writeClassFolder, writeIdx } from './fixtures.ts';
import { dplabInProcess } from '../cli/in-process.ts';

const root = mkdtempSync(join(tmpdir(), 'dplab-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));
const cacheDir = join(root, 'cache');
const BIN = new URL('../../bin/dplab.mjs', import.meta.url).pathname;

/** Runs `dplab data …` in a child process with the test's cache folder. */
function dplabProcess(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, 'data', ...args], { env: { ...process.env, DPLAB_DATA_DIR: cacheDir }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** `dplab data …` through the CLI's main() in this process (test/cli/in-process.ts): no start-up per call. */
const dplab = (...args: string[]) => dplabInProcess(['data', ...args], { DPLAB_DATA_DIR: cacheDir });

describe('dplab data', () => {
  test('import, list, verify, rm: exit codes and messages', async () => {
    const src = join(root, 'digits');
    writeIdx(src, { n: 20, m: 6, h: 8, w: 8, gz: true });
    const imp = dplabProcess('import', src, '--name', 'tiny'); // the real executable once
    assert.equal(imp.code, 0, imp.err);
    assert.match(imp.out, /imported 'tiny' \(idx\): 8×8×1, 10 classes, train 20, test 6; sha256 [0-9a-f]{64}/);

    const dup = await dplab('import', src, '--name', 'tiny');
    assert.equal(dup.code, 1);
    assert.match(dup.err, /already exists.*--force/);

    const list = await dplab('list');
    assert.equal(list.code, 0);
    assert.match(list.out, /tiny\s+imported\s+8×8×1, 10 classes, train 20, test 6/);
    assert.match(list.out, /fashion-mnist-sample\s+bundled/);
    assert.ok(list.out.includes(cacheDir));

    const json = JSON.parse((await dplab('list', '--json')).out) as { datasets: Array<{ name: string; kind: string }> };
    assert.ok(json.datasets.some((d) => d.name === 'tiny' && d.kind === 'imported'));

    const ver = await dplab('verify', 'tiny');
    assert.equal(ver.code, 0);
    assert.match(ver.out, /'tiny' is intact/);

    const rm = await dplab('rm', 'tiny');
    assert.equal(rm.code, 0);
    assert.match(rm.out, /removed 'tiny'/);
    const rm2 = await dplab('rm', 'tiny');
    assert.equal(rm2.code, 1);
    assert.match(rm2.err, /no dataset called 'tiny'/);
  });

  test('a corrupt source fails with 1, names the file, and leaves the cache empty', async () => {
    const src = join(root, 'pics');
    writeClassFolder(src, ['a', 'b'], 3, 8, 8);
    writeFileSync(join(src, 'a', 'zz.jpg'), 'not a jpeg');
    const r = await dplab('import', src, '--format', 'folder');
    assert.equal(r.code, 1);
    assert.ok(r.err.includes(join(src, 'a', 'zz.jpg')), r.err);
    assert.deepEqual(readdirSync(cacheDir).filter((n) => n.startsWith('pics') || n.startsWith('.')), []);
  });

  test('usage errors exit with 2', async () => {
    assert.equal((await dplab()).code, 2);
    assert.equal((await dplab('import')).code, 2);
    assert.equal((await dplab('import', root, '--size', 'big')).code, 2);
    assert.equal((await dplab('import', root, '--channels', '2')).code, 2);
    assert.equal((await dplab('import', root, '--bogus', '1')).code, 2);
    const u = await dplab('frobnicate');
    assert.equal(u.code, 2);
    assert.match(u.err, /unknown sub-command 'frobnicate'/);
    assert.equal((await dplab('--help')).code, 0);
  });

  test('--max-image-pixels and --max-dataset-bytes: a bomb is refused naming the flag; the limits lower and raise; bad values are usage errors', async () => {
    const bomb = join(root, 'bomb');
    writeClassFolder(bomb, ['a'], 2, 8, 8);
    writeFileSync(join(bomb, 'a', 'zz.png'), pngBomb(20000, 20000));
    const b = await dplab('import', bomb);
    assert.equal(b.code, 1);
    assert.ok(b.err.includes(join(bomb, 'a', 'zz.png')), b.err);
    assert.match(b.err, /20000×20000 = 400000000 pixels, more than the limit of 16777216 pixels per image; nothing was decoded \(raise it with dplab data import --max-image-pixels N/);

    const src = join(root, 'sixteen');
    writeClassFolder(src, ['a', 'b'], 5, 16, 16);
    const low = await dplab('import', src, '--max-image-pixels', '10x10');
    assert.equal(low.code, 1);
    assert.match(low.err, /16×16 = 256 pixels, more than the limit of 100 pixels per image/);
    const bytes = await dplab('import', src, '--max-dataset-bytes', '5000');
    assert.equal(bytes.code, 1);
    assert.match(bytes.err, /take 7680 bytes .* more than the limit of 5000 bytes .* --max-dataset-bytes/);
    const ok = await dplab('import', src, '--max-image-pixels', '16x16', '--max-dataset-bytes', '1M');
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /imported 'sixteen'/);

    for (const bad of [['--max-image-pixels', 'big'], ['--max-image-pixels', '0'], ['--max-image-pixels', '16385x16384'], ['--max-dataset-bytes', '65G'], ['--max-dataset-bytes', '1.5G']]) {
      const r = await dplab('import', src, '--name', 'never', ...bad);
      assert.equal(r.code, 2, `${bad.join(' ')}: ${r.err}`);
      assert.ok(r.err.includes(bad[0]!), r.err);
    }
  });

  test('formats lists every registered reader', async () => {
    const r = await dplab('formats');
    assert.equal(r.code, 0);
    for (const f of ['idx', 'cifar10', 'cifar100', 'stl10', 'folder']) assert.match(r.out, new RegExp(`^\\s+${f}\\s`, 'm'));
  });
});

/**
 * `dplab serve` never loads TensorFlow.js: the web server validates `--backend` against the names in
 * common/ and leaves tfjs to the trainer processes (it cost ≈ 0.8 s at every start). The real serve
 * child runs with a resolve hook that logs every module it loads; a few requests exercise the
 * service's lazy imports too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, RawSocket, startServe, wsAuth } from './helpers.ts';

test("serve's module graph does not include @tensorflow", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-graph-'));
  const log = join(dir, 'modules.txt');
  const s = await startServe(['--archive', join(dir, 'a.sqlite'), '--backend', 'wasm'], { DPLAB_MODULE_LOG: log, DPLAB_DATA_DIR: join(dir, 'data') }, [
    '--import',
    join(ROOT, 'test/server/fixtures/module-log.mjs'),
  ]);
  try {
    const ws = await RawSocket.open(s.url, wsAuth(s.token));
    assert.ok(ws instanceof RawSocket);
    let id = 1;
    for (const name of ['app.info', 'runs.list', 'presets.list', 'theory.presets', 'datasets.list']) {
      ws.sendText(JSON.stringify({ id, name, args: {} }));
      const r = await ws.reply(id++);
      assert.equal(r.ok, true, `${name}: ${JSON.stringify(r.error)}`);
    }
    ws.end();
  } finally {
    assert.equal(await s.stop(), 0, s.stderr());
  }
  const modules = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  try {
    // The hook must have seen our own files, or an empty list would prove nothing.
    assert.ok(modules.some((m) => m.endsWith('/src-main/server/server.ts')), 'the log holds the server module');
    assert.ok(modules.some((m) => m.endsWith('/src-main/service/service.ts')), 'the log holds the service module');
    assert.deepEqual(modules.filter((m) => m.includes('@tensorflow')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

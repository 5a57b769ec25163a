/**
 * The desktop's streamed export (issue 25, "exports only as streams"), in the real main bundle under
 * plain Node with the recording stand-in for `electron` (test/shell/fake-electron.cjs): the Archive
 * view's export goes over its own IPC channel, the main process shows a save dialog offering the
 * export's own name and writes the file a run at a time, byte for byte what the archive's export
 * holds and larger than the 16 MiB one runs.export reply may hold; hostile arguments and a foreign
 * sender are refused before any dialog, naming the problem; a cancelled dialog writes nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildElectron } from '../../src-main/shell/build.ts';
import { exportDigest, fillManyRuns } from '../server/many-runs.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** 400 runs of 1,000 steps of two metrics: about 19.5 MB of JSON, past the 16 MiB reply limit. */
const REPLY_LIMIT = 16 * 1024 * 1024;

type Reply = { ok: true; result: { cancelled: boolean; filename?: string; bytes?: number } } | { ok: false; error: { code: string; message: string } };

/** Runs the main bundle with the fake electron, the given save-dialog answers and export messages; returns its report. */
function runMain(env: Record<string, string>): Promise<{ exports: Reply[]; saveDialogs: { defaultPath: string }[]; errors: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', join(ROOT, 'test/shell/fake-electron.cjs'), join(ROOT, 'dist/electron/main.cjs')], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`main exited ${code}: ${err}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!));
    });
  });
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const b of createReadStream(file)) h.update(b as Buffer);
  return h.digest('hex');
}

test('the Archive export in the desktop streams past 16 MiB to the file the save dialog names; hostile or cancelled exports write nothing', { timeout: 300_000 }, async () => {
  await buildElectron();
  // The main process serves dist/renderer; these exports need no page, only the folder (an empty one
  // reads as "not built" to the UI tests' freshness check, which then builds it).
  mkdirSync(join(ROOT, 'dist', 'renderer'), { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'dplab-shell-export-'));
  try {
    const archive = join(dir, 'big.sqlite');
    const uuids = fillManyRuns(archive, 400, 1000);
    const { sha256: expected, bytes: expectedBytes } = exportDigest(archive, uuids);
    assert.ok(expectedBytes > REPLY_LIMIT, `the export (${expectedBytes} bytes) is larger than one reply may be`);

    // A folder for the output alone, so "writes nothing" is checked by listing it.
    const out = join(dir, 'out');
    mkdirSync(out);
    const saved = join(out, 'chosen.json');
    const missingDir = join(out, 'no-such-folder', 'x.json');
    const unknown = '00000000-0000-4000-8000-000000000000';
    const good = { runIds: uuids, format: 'json' };
    const messages = [
      { args: good, foreign: true }, // another window: refused, no dialog
      { args: { PROTO: { polluted: true }, runIds: [uuids[0]], format: 'json' } },
      { args: { runIds: [uuids[0], unknown], format: 'json' } },
      { args: { runIds: Array.from({ length: 10_001 }, () => uuids[0]), format: 'json' } },
      { args: { runIds: [uuids[0]], format: 'json' } }, // dialog answers Cancel
      { args: good }, // dialog answers `saved`
      { args: { runIds: uuids.slice(0, 2), format: 'ndjson' } }, // dialog answers a path in a missing folder
    ];
    // The messages as JSON text, so the '__proto__' key reaches the handler as an own key.
    const messagesFile = join(dir, 'messages.json');
    writeFileSync(messagesFile, JSON.stringify(messages).replace('"PROTO"', '"__proto__"'));
    const rep = await runMain({
      XDG_DATA_HOME: join(dir, 'data'),
      DPLAB_ARCHIVE: archive,
      FAKE_SAVE_PATHS: JSON.stringify([null, saved, missingDir]),
      FAKE_EXPORTS_FILE: messagesFile,
    });
    assert.deepEqual(rep.errors, []);
    const [foreign, proto, missing, tooMany, cancelled, ok, badPath] = rep.exports;

    assert.equal(!foreign!.ok && foreign!.error.code, 'unauthorized');
    assert.equal(!proto!.ok && proto!.error.code, 'invalid-args');
    assert.match(!proto!.ok ? proto!.error.message : '', /'__proto__' may not be a key/);
    assert.equal(!missing!.ok && missing!.error.code, 'not-found');
    assert.match(!missing!.ok ? missing!.error.message : '', new RegExp(`no run ${unknown}`));
    assert.equal(!tooMany!.ok && tooMany!.error.code, 'invalid-args');
    assert.match(!tooMany!.ok ? tooMany!.error.message : '', /runIds/);
    // Only the three valid exports reached a dialog, each offering the export's own name.
    assert.deepEqual(
      rep.saveDialogs.map((d) => d.defaultPath),
      [`run-${uuids[0]!.slice(0, 8)}.json`, `runs-${new Date().toISOString().slice(0, 10)}.json`, `runs-${new Date().toISOString().slice(0, 10)}.ndjson`],
    );

    assert.deepEqual(cancelled, { ok: true, result: { cancelled: true } }, 'Cancel is an outcome, not an error');
    assert.ok(ok!.ok, JSON.stringify(ok));
    assert.deepEqual(ok!.result, { cancelled: false, filename: 'chosen.json', bytes: expectedBytes });
    assert.equal(statSync(saved).size, expectedBytes);
    assert.equal(await sha256(saved), expected, 'the file is the archive export byte for byte');

    assert.equal(!badPath!.ok && badPath!.error.code, 'failed');
    assert.ok(!badPath!.ok && badPath!.error.message.includes(missingDir), `the error names the file: ${JSON.stringify(badPath)}`);
    assert.deepEqual(readdirSync(out), ['chosen.json'], 'the cancelled, refused and failed exports left no file (nor a .part)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

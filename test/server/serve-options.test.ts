/**
 * `dplab serve` options: another interface only with an explicit --host and a printed warning (the
 * token still required), malformed options refused with exit code 2 before anything starts, and
 * where the token is kept (beside a writable archive; in the per-user folder for a read-only one).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { openArchive } from '../../src-main/archive/archive.ts';
import { bearer, ROOT, startServe, TINY_SETUP } from './helpers.ts';

/** The status of an app.info request to the lab's API, sent with `token` (if any) as the page sends it. */
function status(port: string, token: string | null, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Host: host, 'Content-Type': 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    const req = request({ host: '127.0.0.1', port, path: '/api/request', method: 'POST', headers }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end('{"id":1,"name":"app.info","args":{}}');
  });
}

test('--host 0.0.0.0 warns, still needs the token, and accepts the machine\'s other names', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-host-'));
  const s = await startServe(['--host', '0.0.0.0', '--archive', join(dir, 'a.sqlite')]);
  try {
    assert.match(s.stderr(), /WARNING: listening on 0\.0\.0\.0, not loopback/);
    assert.equal(await status(s.url.port, null, `gpu-box:${s.url.port}`), 401);
    assert.equal(await status(s.url.port, s.token, `gpu-box:${s.url.port}`), 200);
  } finally {
    assert.equal(await s.stop(), 0);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** `dplab serve ARGS` to its exit; asynchronous, so the refusals below run side by side. */
function serveOnce(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['bin/dplab.mjs', 'serve', ...args], { cwd: ROOT, encoding: 'utf8' }, (e, stdout, stderr) => done({ status: e ? (typeof e.code === 'number' ? e.code : null) : 0, stdout, stderr }));
  });
}

test('malformed options exit 2 with the reason', async () => {
  const cases = [
    [['--port', 'abc'], /--port must be an integer/],
    [['--port', '70000'], /--port must be an integer/],
    [['--concurrency', '0'], /--concurrency must be a positive integer/],
    [['--backend', 'gpu'], /--backend must be one of/],
    [['--max-queued', '0'], /--max-queued must be a positive integer, got '0'/],
    [['--checkpoint-every', '0'], /--checkpoint-every must be a positive integer, got '0'/],
    [['--checkpoint-every', '2.5'], /--checkpoint-every must be a positive integer, got '2\.5'/],
    [['--bogus'], /unknown option --bogus/],
    [['extra'], /unexpected argument 'extra'/],
  ] as const;
  const [help, ...refused] = await Promise.all([serveOnce(['--help']), ...cases.map(([args]) => serveOnce(args))]);
  cases.forEach(([args, why], i) => {
    const r = refused[i]!;
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, why);
    assert.doesNotMatch(r.stdout, /DirectPred Lab at/);
  });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /ssh -L/);
});

test('the token survives a restart on the same archive (kept beside it, mode 600); --new-token rotates it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-token-'));
  const archive = join(dir, 'a.sqlite');
  try {
    const first = await startServe(['--archive', archive]);
    assert.equal(await first.stop(), 0, first.stderr());
    assert.equal(readFileSync(`${archive}.token`, 'utf8').trim(), first.token);
    if (process.platform !== 'win32') assert.equal(statSync(`${archive}.token`).mode & 0o777, 0o600);
    const again = await startServe(['--archive', archive]);
    try {
      assert.equal(again.token, first.token, 'a tab with the old URL reconnects');
      assert.equal(await status(again.url.port, first.token, `127.0.0.1:${again.url.port}`), 200);
    } finally {
      assert.equal(await again.stop(), 0, again.stderr());
    }
    const rotated = await startServe(['--archive', archive, '--new-token']);
    try {
      assert.notEqual(rotated.token, first.token);
      assert.equal(await status(rotated.url.port, first.token, `127.0.0.1:${rotated.url.port}`), 401, 'the old URL no longer opens the lab');
      assert.equal(await status(rotated.url.port, rotated.token, `127.0.0.1:${rotated.url.port}`), 200);
    } finally {
      assert.equal(await rotated.stop(), 0, rotated.stderr());
    }
    assert.equal(readFileSync(`${archive}.token`, 'utf8').trim(), rotated.token);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a read-only archive: nothing written beside it; the token is kept owner-only in the per-user runtime folder, which stderr names, and survives a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-ro-token-'));
  const archive = join(dir, 'shared', 'lab.sqlite');
  const runtime = join(dir, 'run');
  mkdirSync(runtime, { mode: 0o700 });
  try {
    mkdirSync(join(dir, 'shared'));
    openArchive(archive).close();
    // The archive file itself is read-only (its folder is writable, so a token file there would succeed).
    chmodSync(archive, 0o444);
    const before = readdirSync(join(dir, 'shared')).sort();
    const env = { XDG_RUNTIME_DIR: runtime };
    const first = await startServe(['--archive', archive], env);
    let file: string;
    try {
      const m = /the archive is read-only: its access token is kept in (\S+) \(owner-only\), not beside it/.exec(first.stderr());
      assert.ok(m, first.stderr());
      file = m[1]!;
      assert.ok(file.startsWith(join(runtime, 'dplab') + '/'), file);
      assert.equal(readFileSync(file, 'utf8').trim(), first.token);
      if (process.platform !== 'win32') assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(await status(first.url.port, first.token, `127.0.0.1:${first.url.port}`), 200);
    } finally {
      assert.equal(await first.stop(), 0, first.stderr());
    }
    assert.equal(existsSync(`${archive}.token`), false, 'no token file beside the read-only archive');
    assert.deepEqual(readdirSync(join(dir, 'shared')).sort(), before, 'nothing at all written beside it');
    const again = await startServe(['--archive', archive], env);
    try {
      assert.equal(again.token, first.token, 'open tabs reconnect after a restart');
    } finally {
      assert.equal(await again.stop(), 0, again.stderr());
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--max-queued bounds the runs queued or running in the archive: a sweep past it is refused whole, naming the limit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-maxq-'));
  const s = await startServe(['--archive', join(dir, 'a.sqlite'), '--concurrency', '1', '--max-queued', '2'], { DPLAB_DATA_DIR: join(dir, 'data') });
  const ask = async (name: string, args: unknown) => {
    const r = await fetch(new URL('/api/request', s.url), { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(s.token) }, body: JSON.stringify({ id: 1, name, args }) });
    return (await r.json()) as { ok: boolean; result?: unknown; error?: { message: string } };
  };
  // Long enough that no run ends while the test asks (the server's stop interrupts them).
  const long = { ...TINY_SETUP, optim: { ...TINY_SETUP.optim, maxSteps: 100_000, epochs: 1000 } };
  try {
    const sweep = await ask('sweeps.start', { definition: { base: long, axes: { 'optim.lr': [0.01, 0.02, 0.03] } } });
    assert.equal(sweep.ok, false);
    assert.match(sweep.error!.message, /3 more runs would pass the limit of 2 queued or running runs/);
    assert.deepEqual((await ask('runs.list', {})).result, []);
    assert.equal((await ask('runs.start', { setup: long })).ok, true);
    assert.equal((await ask('runs.start', { setup: long })).ok, true);
    const third = await ask('runs.start', { setup: long });
    assert.equal(third.ok, false);
    assert.match(third.error!.message, /already has 2 queued or running runs \(limit 2\)/);
  } finally {
    assert.equal(await s.stop(), 0);
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * `dplab serve`: the lab in a browser. Serves the built renderer (dist/renderer, built first when
 * missing) and the contract over HTTP + WebSocket, bound to loopback with a random token in the
 * printed URL; reach it from another machine through an SSH tunnel (ssh -L PORT:127.0.0.1:PORT).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { backendOption, intOption, parseCommand } from './args.ts';
import { resolveArchivePath } from '../archive/paths.ts';
import { parseThreads, type BackendPreference } from '../common/backends.ts';
import { processAlive } from '../runs/process.ts';
import { DEFAULT_CHECKPOINT_EVERY, DEFAULT_MAX_QUEUED } from '../runs/manager.ts';

const HELP = `usage: dplab serve [--port N] [--host 127.0.0.1] [--archive FILE] [--no-open] [--new-token]
                   [--concurrency N] [--backend auto|tfjs-node-gpu|tfjs-node|wasm|cpu] [--max-queued N]
                   [--checkpoint-every N] [--threads N] [--no-estimate-probes]

Serves the lab at http://HOST:PORT/?token=… (the token is required). The token is kept beside the
archive (ARCHIVE.token, readable by you only), so open tabs reconnect when the server restarts; for
a read-only archive it is kept in $XDG_RUNTIME_DIR/dplab/ (else TMPDIR/dplab-UID/) instead, never
beside it. --new-token replaces it (every open tab and printed URL stops working). The default host is
127.0.0.1 (this machine only); on a remote server keep it and tunnel:
  ssh -L 8765:127.0.0.1:8765 server   then   dplab serve --port 8765 --no-open
--host 0.0.0.0 exposes the lab to the network (anyone with the token can run code-heavy jobs).
--port 0 (default) picks a free port. --max-queued bounds the runs queued or running in the archive
(default ${DEFAULT_MAX_QUEUED}): a run, sweep or reproduction that would pass it is refused whole.
--checkpoint-every N saves a resumable checkpoint of each run every N steps (default ${DEFAULT_CHECKPOINT_EVERY}).
--threads N gives every run N wasm threads (1 … 8; default: the cores shared among the runs
training together), for a machine whose other cores are busy.
A time estimate that no finished run can serve times a short probe run of the setup (up to 20 steps);
--no-estimate-probes leaves such estimates "time unknown" and the cores to the queued runs.`;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RENDERER = fileURLToPath(new URL('../../dist/renderer/', import.meta.url));

/** The `serve` sub-command: runs until SIGINT/SIGTERM. */
export async function serveCommand(args: string[]): Promise<number> {
  const a = parseCommand('serve', args, { string: ['port', 'host', 'archive', 'concurrency', 'backend', 'max-queued', 'checkpoint-every', 'threads'], boolean: ['no-open', 'open', 'new-token', 'no-estimate-probes'] }, HELP);
  if (typeof a === 'number') return a;
  let threads: number | undefined;
  let port: number, concurrency: number | undefined, maxQueued: number | undefined, checkpointEvery: number | undefined, backend: BackendPreference;
  try {
    port = intOption(a, 'port', 0, 65535) ?? 0;
    concurrency = intOption(a, 'concurrency', 1);
    maxQueued = intOption(a, 'max-queued', 1);
    checkpointEvery = intOption(a, 'checkpoint-every', 1);
    backend = backendOption(a);
    if (a.strings.threads !== undefined) {
      try {
        threads = parseThreads(a.strings.threads);
      } catch (e) {
        throw new Error(`--threads: ${(e as Error).message}`, { cause: e });
      }
    }
  } catch (e) {
    console.error(`dplab serve: ${(e as Error).message}`);
    return 2;
  }
  const { isLoopback, startLabServer } = await import('../server/server.ts');
  const host = a.strings.host ?? '127.0.0.1';
  if (!isLoopback(host)) {
    console.error(`dplab serve: WARNING: listening on ${host}, not loopback: anyone who can reach this port and has the token controls the lab. Prefer an SSH tunnel to 127.0.0.1.`);
  }
  if (!(await ensureRenderer())) return 1;
  const { LabService } = await import('../service/service.ts');
  const { archiveToken } = await import('../server/token.ts');
  const archivePath = resolveArchivePath(a.strings.archive);
  let service: InstanceType<typeof LabService>;
  try {
    service = new LabService({
      archivePath,
      transport: 'http',
      backend,
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(maxQueued !== undefined ? { maxQueued } : {}),
      ...(checkpointEvery !== undefined ? { checkpointEvery } : {}),
      ...(a.flags['no-estimate-probes'] ? { estimateProbes: false } : {}),
      ...(threads !== undefined ? { threads } : {}),
    });
  } catch (e) {
    console.error(`dplab serve: ${(e as Error).message}`);
    return 1;
  }
  const readOnly = service.archiveReadOnly;
  const access = archiveToken(service.archivePath, !!a.flags['new-token'], { readOnly });
  if (access.warning) console.error(`dplab serve: ${access.warning}`);
  else if (readOnly) console.error(`dplab serve: the archive is read-only: its access token is kept in ${access.file} (owner-only), not beside it`);
  else if (access.created) console.error(`dplab serve: new access token saved in ${access.file} (owner-only; --new-token replaces it)`);
  let server: Awaited<ReturnType<typeof startLabServer>>;
  try {
    server = await startLabServer({ service, rootDir: RENDERER, host, port, token: access.token, faviconFile: fileURLToPath(new URL('../../resources/icons/32x32.png', import.meta.url)) });
  } catch (e) {
    await service.close();
    console.error(`dplab serve: cannot listen on ${host}:${port}: ${(e as Error).message}`);
    return 1;
  }
  // Listen for the stop signals before the URL is out: whoever reads it may stop us at once, and a
  // signal without a handler would kill the process before it closes the archive.
  const stopSignal = new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  console.log(`DirectPred Lab at ${server.url}`);
  console.error(`archive: ${service.archivePath}   (Ctrl-C stops the server; running trainers are stopped and can be resumed)`);
  if (a.flags.open && !a.flags['no-open']) openBrowser(server.url);
  else if (!a.flags['no-open'] && process.stdout.isTTY) openBrowser(server.url);
  await stopSignal;
  console.error('dplab serve: stopping…');
  await server.close();
  await service.close();
  return 0;
}

/**
 * Builds dist/renderer when it is missing. Several `dplab serve` processes may start at once (the
 * test suite runs files in parallel): one builds under a lock file, the others wait for it, so no
 * server ever serves a folder that vite is emptying.
 */
async function ensureRenderer(): Promise<boolean> {
  const index = `${RENDERER}index.html`;
  const lock = join(ROOT, 'dist', '.renderer-build.lock');
  const deadline = Date.now() + 10 * 60_000;
  while (!existsSync(index) || existsSync(lock)) {
    if (Date.now() > deadline) break;
    let fd: number | undefined;
    try {
      mkdirSync(dirname(lock), { recursive: true });
      fd = openSync(lock, 'wx');
    } catch {
      // Another process is building; take over only if its lock is stale (its process is gone).
      const owner = Number(readLockPid(lock));
      if (owner && !processAlive(owner)) rmSync(lock, { force: true });
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      writeSync(fd, String(process.pid));
      closeSync(fd);
      if (existsSync(index)) return true;
      console.error('dplab serve: dist/renderer is missing; building the renderer (npm run build:renderer)…');
      const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build:renderer'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
      if (r.status !== 0) break;
    } finally {
      rmSync(lock, { force: true });
    }
  }
  if (existsSync(index) && !existsSync(lock)) return true;
  console.error('dplab serve: the renderer build failed; run `npm run build:renderer` in the project folder and try again');
  return false;
}

function readLockPid(lock: string): string {
  try {
    return readFileSync(lock, 'utf8').trim();
  } catch {
    return '';
  }
}


/** Opens the URL in the desktop's browser; silent where there is none (a headless server). */
function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // no browser opener: the URL is printed
  }
}

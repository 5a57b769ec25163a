/**
 * The access token of `dplab serve`: the one of the printed URL, kept in a file (mode 600) so a
 * restarted server accepts the tabs that were open. The file lies beside the archive, except for an
 * archive the lab treats as read-only: nothing is written beside that, and its token goes to a
 * per-user folder instead (`runtimeDir`). The token never goes into a cookie (see server.ts).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';

const TOKEN = /^[0-9a-f]{32}$/;

/** The file the token of a writable archive is kept in: beside it. */
export function tokenFile(archivePath: string): string {
  return `${archivePath}.token`;
}

/**
 * The per-user folder for token files of read-only archives: `$XDG_RUNTIME_DIR/dplab` (a folder
 * only this user can enter, emptied at logout), else `<tmpdir>/dplab-<uid>`.
 */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'dplab');
  return join(tmpdir(), `dplab-${typeof process.getuid === 'function' ? process.getuid() : userInfo().username}`);
}

/**
 * The token file of a read-only archive: in `runtimeDir`, named after the archive's file name and a
 * hash of its absolute path (two archives of one name in different folders keep different tokens).
 */
export function runtimeTokenFile(archivePath: string, env: NodeJS.ProcessEnv = process.env): string {
  const abs = resolve(archivePath);
  const hash = createHash('sha256').update(abs).digest('hex').slice(0, 16);
  const name = basename(abs).replace(/[^\w.-]/g, '_').slice(0, 60);
  return join(runtimeDir(env), `${name}-${hash}.token`);
}

/**
 * Makes `dir` (one level) and checks it is this user's own: a real folder, not a link, owned by
 * us, closed to others. A shared temp folder lets anyone create `dplab-<uid>` first, so a folder we
 * do not own is refused, never used; one we own with loose modes is tightened.
 */
function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a folder (a link or a file)`);
  if (process.platform === 'win32') return;
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new Error(`${dir} belongs to user ${st.uid}, not to you (${uid})`);
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** Where the token was kept (or why it could not be) and whether it is new. */
export interface ArchiveToken {
  token: string;
  file: string;
  created: boolean;
  warning?: string;
}

/**
 * The archive's token: the stored one, or a new one written (owner-only) when there is none, it is
 * malformed, or `rotate` asks for a fresh one (`dplab serve --new-token`). The file is beside the
 * archive, or in `runtimeDir` when `readOnly` (nothing is written beside a read-only archive). Where
 * the file cannot be written the token is new and held for this run only; `warning` says so.
 */
export function archiveToken(archivePath: string, rotate = false, opts: { readOnly?: boolean; env?: NodeJS.ProcessEnv } = {}): ArchiveToken {
  const file = opts.readOnly ? runtimeTokenFile(archivePath, opts.env) : tokenFile(archivePath);
  if (opts.readOnly) {
    try {
      ensurePrivateDir(runtimeDir(opts.env));
    } catch (e) {
      return { token: newToken(), file, created: true, warning: `cannot keep the token of this read-only archive in ${runtimeDir(opts.env)}: ${(e as Error).message}; the token holds for this run only` };
    }
  }
  if (!rotate) {
    try {
      const st = statSync(file);
      const text = readFileSync(file, 'utf8').trim();
      if (TOKEN.test(text)) {
        // A token others can read is no secret: tighten the file rather than trust it loosely.
        if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) chmodSync(file, 0o600);
        return { token: text, file, created: false };
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        return { token: newToken(), file, created: true, warning: `cannot read the token file ${file}: ${(e as Error).message}; using a token for this run only` };
      }
    }
  }
  const token = newToken();
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, `${token}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, file);
    return { token, file, created: true };
  } catch (e) {
    rmSync(tmp, { force: true });
    return { token, file, created: true, warning: `cannot write the token file ${file}: ${(e as Error).message}; the token holds for this run only` };
  }
}

/** A random 128-bit token as 32 hex digits. */
export function newToken(): string {
  return randomBytes(16).toString('hex');
}

/** Constant-time comparison of a given credential with the expected one. */
export function secretMatches(expected: string, given: string | undefined | null): boolean {
  if (!given) return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Access for `dplab serve`: the token of the printed URL, kept beside the archive (mode 600) so a
 * restarted server accepts the tabs that were open, and the browser sessions it is exchanged for.
 * The token itself never goes into a cookie: cookies are not port-scoped, so every other server on
 * this host would receive it. A session id is random, lives in this process only and dies with it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';

const TOKEN = /^[0-9a-f]{32}$/;

/** The file the token of an archive is kept in. */
export function tokenFile(archivePath: string): string {
  return `${archivePath}.token`;
}

/**
 * The archive's token: the stored one, or a new one written beside the archive (owner-only) when
 * there is none, it is malformed, or `rotate` asks for a fresh one (`dplab serve --new-token`). Where
 * the folder is not writable the token is new and held for this run only; `warning` says so.
 */
export function archiveToken(archivePath: string, rotate = false): { token: string; file: string; created: boolean; warning?: string } {
  const file = tokenFile(archivePath);
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

/**
 * Browser sessions of one server process: a valid `?token=` is exchanged for a random id sent back
 * as a cookie. At most `max` live at once (the oldest go first), so requests cannot grow the set.
 */
export class Sessions {
  private readonly ids = new Set<string>();

  constructor(private readonly max = 256) {}

  /** A new session id. */
  open(): string {
    const id = randomBytes(24).toString('base64url');
    this.ids.add(id);
    for (const old of this.ids) {
      if (this.ids.size <= this.max) break;
      this.ids.delete(old);
    }
    return id;
  }

  /** True when `id` is a live session of this process. */
  has(id: string | undefined): boolean {
    // Set lookup by a string key: a hostile cookie value cannot reach any prototype.
    return typeof id === 'string' && id.length === 32 && this.ids.has(id);
  }

  get size(): number {
    return this.ids.size;
  }
}

/** The value of cookie `name` in a Cookie header (the first one when repeated). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

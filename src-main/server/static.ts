/**
 * The built renderer as static files: a request path is mapped into the renderer folder by one
 * check (no way out of it, however the path is encoded), and files are read asynchronously and
 * kept in memory, so a page load never blocks the server's event loop on the disk.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** The content type a file is served with. */
export function mimeType(file: string): string {
  return MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file under `root` that the raw request path (as sent, before any URL normalisation) names, or
 * null when it is malformed or leaves `root`. The path is percent-decoded exactly once (so `%252e`
 * stays a literal `%2e`); NUL and backslashes are refused (a separator on Windows); the result is
 * resolved and must lie inside `root`, which catches `..`, `%2e%2e/` and `..%2f` alike.
 */
export function staticPath(root: string, rawPath: string): string | null {
  let rel: string;
  try {
    rel = decodeURIComponent(rawPath);
  } catch {
    return null;
  }
  if (!rel.startsWith('/') || rel.includes('\0') || rel.includes('\\')) return null;
  if (rel === '/') rel = '/index.html';
  const base = resolve(root);
  const file = resolve(base, `.${rel}`);
  return file.startsWith(base + sep) ? file : null;
}

interface Cached {
  mtimeMs: number;
  size: number;
  body: Buffer;
}

/**
 * Reads files asynchronously and keeps them (up to `maxBytes` in all); a file changed on disk (a
 * rebuilt renderer) is read again, since every hit re-checks its size and modification time.
 */
export class FileCache {
  private readonly files = new Map<string, Cached>();
  private bytes = 0;

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  /** The file's bytes, or null when it is not a regular file. */
  async get(file: string): Promise<Buffer | null> {
    let st;
    try {
      st = await stat(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') return null;
      throw e;
    }
    if (!st.isFile()) return null;
    const hit = this.files.get(file);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.body;
    const body = await readFile(file);
    if (hit) {
      this.files.delete(file);
      this.bytes -= hit.size;
    }
    if (body.length <= this.maxBytes / 4) {
      // Oldest first out (Map keeps insertion order) until the new file fits.
      for (const [k, v] of this.files) {
        if (this.bytes + body.length <= this.maxBytes) break;
        this.files.delete(k);
        this.bytes -= v.size;
      }
      this.files.set(file, { mtimeMs: st.mtimeMs, size: body.length, body });
      this.bytes += body.length;
    }
    return body;
  }
}

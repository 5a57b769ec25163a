/**
 * The renderer's own origin, `app://lab`: Electron serves dist/renderer through this privileged
 * custom scheme instead of file://, so the page has a real origin (its `'self'` is the app and
 * nothing else on disk), file:// needs no extra privileges (the fuse is off), and every response
 * carries the Content-Security-Policy as a header. Free of `electron` imports: the handler is a
 * plain Request → Response function, tested under Node.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';

/** The scheme main.ts registers as privileged (standard, secure, fetch) before the app is ready. */
export const APP_SCHEME = 'app';
/** The app's origin: connect-src and the IPC sender check accept exactly this. */
export const APP_ORIGIN = `${APP_SCHEME}://lab`;
/** The page the window loads. */
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/**
 * The desktop page's policy: scripts, styles and connections only from the app's own origin (no
 * 'unsafe-inline', no ws:/http: to anywhere: the app talks over IPC), no plugins, no framing, no
 * form posts.
 */
export const APP_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

function reply(status: number, body: string | Uint8Array | null, type: string): Response {
  return new Response(body, {
    status,
    headers: { 'Content-Type': type, 'Content-Security-Policy': APP_CSP, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' },
  });
}

/**
 * The handler of `app://`: a file of `rootDir` (the built renderer) for `app://lab/<path>`, with the
 * CSP header; 404 for another host, a path outside the folder (../, encoded or through a link) or
 * a missing file; 405 for anything but GET/HEAD.
 */
export function appProtocolHandler(rootDir: string): (req: Request) => Response {
  const root = realpathSync(rootDir);
  return (req) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed', 'text/plain; charset=utf-8');
    let url: URL;
    let rel: string;
    try {
      url = new URL(req.url);
      rel = decodeURIComponent(url.pathname);
    } catch {
      return reply(400, 'bad URL', 'text/plain; charset=utf-8');
    }
    if (url.protocol !== `${APP_SCHEME}:` || url.host !== 'lab' || rel.includes('\0')) return reply(404, 'not found', 'text/plain; charset=utf-8');
    if (rel === '/' || rel === '') rel = '/index.html';
    const file = normalize(join(root, rel));
    if (!file.startsWith(root + sep) || !existsSync(file)) return reply(404, 'not found', 'text/plain; charset=utf-8');
    // A symbolic link inside the folder must not lead out of it either.
    const real = realpathSync(file);
    if (!real.startsWith(root + sep) || !statSync(real).isFile()) return reply(404, 'not found', 'text/plain; charset=utf-8');
    return reply(200, req.method === 'HEAD' ? null : readFileSync(real), MIME[extname(real).toLowerCase()] ?? 'application/octet-stream');
  };
}

/**
 * The streamed export download of `dplab serve` (POST /api/export): the runs.export arguments as a
 * JSON body, or as a form field `args`, answered as an attachment written one run at a time with
 * back-pressure, so the server's memory stays that of one run however many are exported, and the
 * other requests keep being served in between. Like every API request it needs the token in an
 * `Authorization: Bearer` header (no cookie, no query), so a page cannot start it with a plain link
 * or form: it fetches with the header and saves the blob (lib/download.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LabService } from '../service/service.ts';

/**
 * Answers one export request; the caller has already checked the token, Host and Origin, and lends
 * its body reader (the same size limit as /api/request, a 413 the client gets to read, a client that
 * goes away mid-upload noted rather than failed).
 */
export async function handleExportRequest(service: LabService, req: IncomingMessage, res: ServerResponse, readBody: (req: IncomingMessage) => Promise<string | null>): Promise<void> {
  if (req.method !== 'POST') {
    res.writeHead(405, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('POST the runs.export arguments {runIds, format, what} here');
    return;
  }
  const text = await readBody(req);
  if (text === null) return;
  await answer(service, req, text, res);
}

function parseBody(req: IncomingMessage, text: string): unknown {
  const type = String(req.headers['content-type'] ?? '');
  if (type.startsWith('application/x-www-form-urlencoded')) return JSON.parse(new URLSearchParams(text).get('args') ?? '');
  return JSON.parse(text);
}

async function answer(service: LabService, req: IncomingMessage, text: string, res: ServerResponse): Promise<void> {
  const fail = (status: number, message: string) => {
    if (res.headersSent) return void res.destroy(new Error(message));
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(message);
  };
  let args: unknown;
  try {
    args = parseBody(req, text);
  } catch (e) {
    return fail(400, `the export arguments are not JSON: ${(e as Error).message}`);
  }
  let ex: Awaited<ReturnType<LabService['exportStream']>>;
  try {
    ex = await service.exportStream(args);
  } catch (e) {
    const code = (e as { code?: string }).code;
    return fail(code === 'invalid-args' ? 400 : code === 'not-found' ? 404 : 500, (e as Error).message);
  }
  res.writeHead(200, {
    'Content-Type': `${ex.mime}; charset=utf-8`,
    'Content-Disposition': `attachment; filename="${ex.filename.replace(/[^\w.-]/g, '_')}"`,
    'Cache-Control': 'no-store',
  });
  let closed = false;
  res.once('close', () => (closed = true));
  try {
    for (const chunk of ex.chunks) {
      if (closed) return;
      if (!res.write(chunk)) await drainedOrClosed(res);
      else await new Promise((ok) => setImmediate(ok));
    }
    res.end();
  } catch (e) {
    // Headers are out: end the response abruptly so the client sees an incomplete download, not a short file.
    res.destroy(e as Error);
  }
}

/**
 * Resolves when the response can take more (drain) or the client went away (close), and removes
 * both listeners either way: a long export waits for drain hundreds of times, and one leftover
 * 'close' listener per wait would pile up on the response.
 */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise<void>((ok) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      ok();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

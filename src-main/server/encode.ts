/**
 * Encoding a reply for the wire without holding the loop: a reply that carries a file as
 * `result.content` (runs.export, reproduce.report: up to the service's reply limit, 16 MiB) is
 * JSON-escaped in slices of 256 Ki characters with a loop turn between, instead of one
 * `JSON.stringify` plus one UTF-8 copy of the whole (about 4 ms per MiB each, on this machine), so
 * pings, heartbeats and other pages are served while it is encoded.
 */

/** Characters escaped per loop turn. */
const SLICE_CHARS = 1 << 18;

/**
 * The reply as JSON: the plain string for ordinary replies, a UTF-8 buffer for one with a large
 * `result.content` (send it as text). Escaping a string slice by slice gives the same JSON value:
 * a surrogate pair cut in two is written as two `\u` escapes, which a JSON parser joins again.
 */
export async function encodeReply(reply: object): Promise<string | Buffer> {
  const result = (reply as { result?: unknown }).result;
  const content = result !== null && typeof result === 'object' ? (result as { content?: unknown }).content : undefined;
  if (typeof content !== 'string' || content.length <= SLICE_CHARS) return JSON.stringify(reply);
  // A marker of letters and digits stands in for the content (JSON leaves it as it is), then is cut out.
  const marker = `dplab${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const shell = JSON.stringify({ ...reply, result: { ...(result as object), content: marker } });
  const at = shell.indexOf(`"${marker}"`);
  const parts: Buffer[] = [Buffer.from(shell.slice(0, at) + '"', 'utf8')];
  for (let i = 0; i < content.length; i += SLICE_CHARS) {
    if (i > 0) await new Promise((ok) => setImmediate(ok));
    parts.push(Buffer.from(JSON.stringify(content.slice(i, i + SLICE_CHARS)).slice(1, -1), 'utf8'));
  }
  parts.push(Buffer.from('"' + shell.slice(at + marker.length + 2), 'utf8'));
  return Buffer.concat(parts);
}

/**
 * The IPC side of the contract in Electron's main process: checks the sender of every message, then
 * hands it to the LabService (which validates the arguments). Free of `electron` imports so tests
 * can drive it with plain objects.
 */
import type { ServiceReply } from '../service/service.ts';

/** The part of the service the IPC handler needs. */
export interface RequestHandler {
  handle(name: string, rawArgs: unknown): Promise<ServiceReply>;
}

/** The parts of an IpcMainInvokeEvent the handler looks at. */
export interface InvokeEventLike {
  sender: { id: number };
  senderFrame: { url: string } | null;
}

/**
 * True when `frameUrl` is the app's own page: the same app:// document as `indexUrl` (query and
 * hash may differ). Anything else (a navigated-away frame, a remote page, a file:// or data: URL)
 * is refused.
 */
export function isAppPage(frameUrl: string | undefined, indexUrl: string): boolean {
  if (!frameUrl) return false;
  try {
    const a = new URL(frameUrl);
    const b = new URL(indexUrl);
    return a.protocol === b.protocol && a.protocol === 'app:' && a.host === b.host && a.pathname === b.pathname;
  } catch {
    return false;
  }
}

/**
 * The handler of the request channel: refuses a sender that is not our window's page, then runs the
 * request. Never throws: errors cross contextBridge as data.
 */
export function makeIpcHandler(service: RequestHandler, trusted: (e: InvokeEventLike) => boolean): (e: InvokeEventLike, name: unknown, args: unknown) => Promise<ServiceReply> {
  return async (e, name, args) => {
    let ok = false;
    try {
      ok = trusted(e);
    } catch {
      ok = false;
    }
    if (!ok) return { ok: false, error: { code: 'unauthorized', message: 'this page may not talk to DirectPred Lab' } };
    if (typeof name !== 'string') return { ok: false, error: { code: 'unknown-request', message: 'the request name must be a string' } };
    return service.handle(name, args);
  };
}

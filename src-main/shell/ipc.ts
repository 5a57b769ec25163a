/**
 * The IPC side of the contract in Electron's main process: checks the sender of every message, then
 * hands it to the LabService (which validates the arguments). Free of `electron` imports so tests
 * can drive it with plain objects.
 */
import type { LabConnection, ServiceReply } from '../service/service.ts';

/** The part of the service the IPC handler needs. */
export interface RequestHandler {
  handle(name: string, rawArgs: unknown, conn?: LabConnection): Promise<ServiceReply>;
}

/**
 * One service connection per renderer (by its webContents id), opened on its first request:
 * a window's long jobs are its own, and `close` (the window closed, its page reloaded or crashed)
 * cancels them.
 */
export class SenderConnections {
  private readonly bySender = new Map<number, LabConnection>();

  constructor(private readonly open: (senderId: number) => LabConnection) {}

  /** The live connection of `senderId` (a fresh one after `close`). */
  of(senderId: number): LabConnection {
    let c = this.bySender.get(senderId);
    if (!c || !c.isOpen) {
      c = this.open(senderId);
      this.bySender.set(senderId, c);
    }
    return c;
  }

  /** Closes the connection of `senderId`, cancelling its jobs; returns how many were cancelled. */
  close(senderId: number): number {
    const c = this.bySender.get(senderId);
    this.bySender.delete(senderId);
    return c ? c.close() : 0;
  }
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
 * request on the sender's connection (`connections`; the service's own without). Never throws:
 * errors cross contextBridge as data.
 */
export function makeIpcHandler(
  service: RequestHandler,
  trusted: (e: InvokeEventLike) => boolean,
  connections?: SenderConnections,
): (e: InvokeEventLike, name: unknown, args: unknown) => Promise<ServiceReply> {
  return async (e, name, args) => {
    let ok: boolean;
    try {
      ok = trusted(e);
    } catch {
      ok = false;
    }
    if (!ok) return { ok: false, error: { code: 'unauthorized', message: 'this page may not talk to DirectPred Lab' } };
    if (typeof name !== 'string') return { ok: false, error: { code: 'unknown-request', message: 'the request name must be a string' } };
    return connections ? service.handle(name, args, connections.of(e.sender.id)) : service.handle(name, args);
  };
}

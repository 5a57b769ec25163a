/**
 * The IPC side of the contract in Electron's main process: checks the sender of every message, then
 * hands it to the LabService (which validates the arguments), and the export channel that streams
 * runs.export to a file the user picks. Free of `electron` imports (the save dialog and the writer
 * are passed in) so tests can drive it with plain objects.
 */
import { basename } from 'node:path';
import { validateRequest, type ContractError, type ExportOutcome } from '../contract/index.ts';
import { ServiceError, type LabConnection, type ServiceReply } from '../service/service.ts';

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

/** The refusal both channels give a sender that is not the lab's own page. */
const UNAUTHORIZED: ContractError = { code: 'unauthorized', message: 'this page may not talk to DirectPred Lab' };

/** Whether `e` comes from a trusted sender; a check that throws counts as untrusted, never as a crash. */
function senderTrusted(trusted: (e: InvokeEventLike) => boolean, e: InvokeEventLike): boolean {
  try {
    return trusted(e);
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
    if (!senderTrusted(trusted, e)) return { ok: false, error: { ...UNAUTHORIZED } };
    if (typeof name !== 'string') return { ok: false, error: { code: 'unknown-request', message: 'the request name must be a string' } };
    return connections ? service.handle(name, args, connections.of(e.sender.id)) : service.handle(name, args);
  };
}

/** The part of the service the export handler needs: the streaming exporter of File › Export All Runs…. */
export interface ExportSource {
  exportStream(rawArgs: unknown): Promise<{ filename: string; chunks: Iterable<string> }>;
}

/** A save dialog offering `defaultName`: the chosen path, or null when cancelled. */
export type SaveDialog = (defaultName: string) => Promise<string | null>;

/**
 * The handler of the export channel (the desktop's Archive export, past one reply's 16 MiB): refuses
 * an untrusted sender and arguments runs.export's schema refuses (before any dialog), asks where to
 * save under the export's own name, then writes the stream to that file a run at a time (all or
 * nothing, as `writeChunks` does). One export per window at a time. Never throws: errors are data.
 */
export function makeExportHandler(
  source: ExportSource,
  trusted: (e: InvokeEventLike) => boolean,
  askPath: SaveDialog,
  writeChunks: (chunks: Iterable<string>, file: string) => Promise<number>,
): (e: InvokeEventLike, args: unknown) => Promise<{ ok: true; result: ExportOutcome } | { ok: false; error: ContractError }> {
  const busy = new Set<number>();
  return async (e, args) => {
    if (!senderTrusted(trusted, e)) return { ok: false, error: { ...UNAUTHORIZED } };
    const v = validateRequest('runs.export', args);
    if (!v.ok) return { ok: false, error: v.error };
    const sender = e.sender.id;
    if (busy.has(sender)) return { ok: false, error: { code: 'failed', message: 'an export is already being written; wait for it to finish' } };
    busy.add(sender);
    let file: string | null = null;
    try {
      const ex = await source.exportStream(v.args);
      file = await askPath(ex.filename);
      if (!file) return { ok: true, result: { cancelled: true } };
      const bytes = await writeChunks(ex.chunks, file);
      return { ok: true, result: { cancelled: false, filename: basename(file), bytes } };
    } catch (err) {
      // Before the dialog the exporter's refusals (a run not in the archive) keep their code.
      const code = !file && err instanceof ServiceError ? err.code : 'failed';
      const message = (err as Error)?.message ?? String(err);
      return { ok: false, error: { code, message: file ? `could not write ${file}: ${message}` : message } };
    } finally {
      busy.delete(sender);
    }
  };
}

/**
 * What the preload exposes as `window.dplab`: one function per contract request (never the raw
 * ipcRenderer) and `onEvent`. Pure (the invoke and subscribe functions are passed in) so tests can
 * check the exposed surface without Electron; zod-free so the sandboxed preload bundle stays small.
 */
import { CONTRACT_VERSION, REQUEST_NAMES } from '../contract/names.ts';

type Reply = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

/** The bridge object handed to contextBridge.exposeInMainWorld. */
export interface Bridge {
  contractVersion: number;
  requests: Readonly<Record<(typeof REQUEST_NAMES)[number], (args?: unknown) => Promise<Reply>>>;
  onEvent(listener: (e: unknown) => void): () => void;
  /** The desktop's streamed export: the main process asks where to save, then writes runs.export there. */
  exportToFile(args: unknown): Promise<Reply>;
}

/** Builds the bridge over an invoke function (request name, args → reply), an event subscription and the export's invoke. */
export function buildBridge(
  invoke: (name: string, args: unknown) => Promise<Reply>,
  subscribe: (listener: (e: unknown) => void) => () => void,
  invokeExport: (args: unknown) => Promise<Reply>,
): Bridge {
  const requests = {} as Record<(typeof REQUEST_NAMES)[number], (args?: unknown) => Promise<Reply>>;
  for (const name of REQUEST_NAMES) requests[name] = (args?: unknown) => invoke(name, args ?? {});
  return Object.freeze({
    contractVersion: CONTRACT_VERSION,
    requests: Object.freeze(requests),
    onEvent(listener: (e: unknown) => void): () => void {
      if (typeof listener !== 'function') throw new TypeError('onEvent needs a function');
      return subscribe(listener);
    },
    exportToFile: (args: unknown) => invokeExport(args ?? {}),
  });
}

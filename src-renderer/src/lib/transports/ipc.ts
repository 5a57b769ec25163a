/**
 * The Electron transport: the preload bridge (`window.dplab`) exposes one function per contract
 * request, each resolving to a reply {ok, result} or {ok: false, error} (errors cross contextBridge
 * as plain data, since thrown Errors lose their fields there), and `onEvent`.
 */
import type { ExportOutcome, LabClient, LabEvent, RequestArgs, RequestName, Results, ContractError } from '../../../../src-main/contract/index.ts';
import { RequestError } from './error.ts';

/** What the preload exposes as `window.dplab`. */
export interface PreloadBridge {
  contractVersion: number;
  requests: Record<RequestName, (args: unknown) => Promise<{ ok: true; result: unknown } | { ok: false; error: ContractError }>>;
  onEvent(listener: (e: LabEvent) => void): () => void;
  /** The streamed export (a save dialog in the main process, then the file written there); absent in an older preload. */
  exportToFile?(args: unknown): Promise<{ ok: true; result: ExportOutcome } | { ok: false; error: ContractError }>;
}

function isBridge(b: unknown): b is PreloadBridge {
  const x = b as Partial<PreloadBridge> | null;
  return !!x && typeof x === 'object' && typeof x.onEvent === 'function' && !!x.requests && typeof x.requests === 'object';
}

/** The client over the preload bridge. */
export function ipcClient(bridge: unknown): LabClient {
  if (!isBridge(bridge)) throw new Error('window.dplab is not the DirectPred Lab preload bridge');
  const exportToFile = typeof bridge.exportToFile === 'function' ? bridge.exportToFile : null;
  const client: LabClient = {
    transport: 'ipc',
    async request<N extends RequestName>(name: N, args: RequestArgs<N>): Promise<Results[N]> {
      const fn = bridge.requests[name];
      if (typeof fn !== 'function') throw new RequestError({ code: 'unknown-request', message: `the preload does not expose '${String(name)}'` });
      const reply = await fn(args ?? {});
      if (reply.ok) return reply.result as Results[N];
      throw new RequestError(reply.error);
    },
    onEvent(listener) {
      return bridge.onEvent(listener);
    },
  };
  // The main process streams the export to the file the user picks: no capped reply crosses IPC.
  if (exportToFile) {
    client.downloadExport = async (args) => {
      const reply = await exportToFile(args);
      if (reply.ok) return reply.result;
      throw new RequestError(reply.error);
    };
  }
  return client;
}

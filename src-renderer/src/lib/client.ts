/**
 * The renderer's one client: the Electron preload bridge when present, otherwise the WebSocket
 * transport of `dplab serve`. Nothing else in the renderer knows which one is in use.
 */
import type { LabClient } from '../../../src-main/contract/index.ts';

let client: Promise<LabClient> | null = null;

/** The shared client, connected on first use. */
export function getClient(): Promise<LabClient> {
  // A failed attempt is forgotten, so a later call (e.g. a Retry button) connects afresh.
  client ??= connect().catch((e: unknown) => {
    client = null;
    throw e;
  });
  return client;
}

async function connect(): Promise<LabClient> {
  const bridge = (globalThis as { dplab?: unknown }).dplab;
  if (bridge) {
    const { ipcClient } = await import('./transports/ipc.ts');
    return ipcClient(bridge);
  }
  const { wsClient } = await import('./transports/ws.ts');
  return wsClient(location.href);
}

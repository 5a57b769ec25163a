/**
 * The preload (bundled to dist/electron/preload.cjs, runs sandboxed): exposes one function per
 * contract request and onEvent as `window.dplab`; the page never sees ipcRenderer.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_EVENT_CHANNEL, IPC_EXPORT_CHANNEL, IPC_REQUEST_CHANNEL } from '../contract/names.ts';
import { buildBridge } from './bridge.ts';

contextBridge.exposeInMainWorld(
  'dplab',
  buildBridge(
    (name, args) => ipcRenderer.invoke(IPC_REQUEST_CHANNEL, name, args),
    (listener) => {
      const h = (_e: IpcRendererEvent, event: unknown) => listener(event);
      ipcRenderer.on(IPC_EVENT_CHANNEL, h);
      return () => {
        ipcRenderer.removeListener(IPC_EVENT_CHANNEL, h);
      };
    },
    (args) => ipcRenderer.invoke(IPC_EXPORT_CHANNEL, args),
  ),
);

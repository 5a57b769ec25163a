/**
 * The trainer process's line to its parent, behind a small port so the same trainer entry runs
 * under Node's child_process IPC now and Electron's utilityProcess (process.parentPort) later.
 * Messages are structured-cloned (child_process with `serialization: 'advanced'`), so typed arrays
 * and Buffers (checkpoints) cross without base64.
 */

/** One end of a message channel. */
export interface Port<In, Out> {
  send(msg: Out): Promise<void>;
  onMessage(handler: (msg: In) => void): void;
  /** Called once when the other end goes away (parent died or closed the channel). */
  onClose(handler: () => void): void;
  close(): void;
}

interface ElectronParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(msg: unknown): void;
}

/** The port to the parent from inside a trainer process (utilityProcess or child_process). */
export function parentPort<In, Out>(): Port<In, Out> {
  const electron = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (electron) {
    return {
      send: async (msg) => electron.postMessage(msg),
      onMessage: (h) => electron.on('message', (e) => h(e.data as In)),
      // A utility process is ended by its parent; there is no disconnect event to watch.
      onClose: () => {},
      close: () => {},
    };
  }
  if (!process.send) throw new Error('the trainer process was started without an IPC channel (use child_process.fork or utilityProcess.fork)');
  return {
    send: (msg) =>
      new Promise<void>((resolve, reject) => {
        if (!process.connected) return reject(new Error('the parent process is gone'));
        process.send!(msg as object, undefined, {}, (err) => (err ? reject(err) : resolve()));
      }),
    onMessage: (h) => process.on('message', (m) => h(m as In)),
    onClose: (h) => process.once('disconnect', h),
    close: () => {
      if (process.connected) process.disconnect();
    },
  };
}

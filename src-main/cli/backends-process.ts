/**
 * Entry of the `dplab backends` child under Electron (bundled as dist/electron/backends.cjs and
 * started as a utilityProcess by the shell for backends.list): the packaged app has no `dplab`
 * command, and the main process must not load TensorFlow.js itself. Only `--flags` are taken from
 * argv, whatever the host puts before them.
 */
import { backendsCommand } from './backends.ts';

backendsCommand(process.argv.slice(1).filter((a) => a.startsWith('--'))).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`dplab backends: ${(e as Error)?.message ?? String(e)}`);
    process.exitCode = 1;
  },
);

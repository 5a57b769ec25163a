/**
 * Trainers under Electron: each run trains in its own utilityProcess (a Node process Electron
 * manages), so the main process never trains and never blocks. The trainer entry speaks the same
 * protocol as under `dplab` (runs/port.ts picks process.parentPort there).
 */
import { utilityProcess } from 'electron';
import type { TrainerHandle, TrainerLauncher } from '../runs/manager.ts';
import type { FromTrainer, ToTrainer } from '../runs/protocol.ts';
import type { ProbeLauncher } from '../service/backends.ts';
import { trainerEnv } from '../runs/env.ts';

/** A launcher that forks the bundled trainer entry (dist/electron/trainer.cjs) as a utility process. */
export function utilityTrainerLauncher(entry: string, env: NodeJS.ProcessEnv = trainerEnv()): TrainerLauncher {
  return (): TrainerHandle => {
    const child = utilityProcess.fork(entry, [], { serviceName: 'DirectPred Lab trainer', stdio: ['ignore', 'ignore', 'pipe'], env });
    let tail = '';
    let exited = false;
    child.stderr?.on('data', (d: Buffer) => {
      tail = (tail + d.toString('utf8')).slice(-4000);
    });
    child.once('exit', () => {
      exited = true;
    });
    return {
      pid: child.pid ?? -1,
      port: {
        send: async (msg: ToTrainer) => {
          if (exited) throw new Error('trainer process is gone');
          child.postMessage(msg);
        },
        onMessage: (h: (m: FromTrainer) => void) => {
          child.on('message', (m: unknown) => h(m as FromTrainer));
        },
        onClose: (h: () => void) => {
          child.once('exit', () => h());
        },
        close: () => {},
      },
      // utilityProcess.kill takes no signal: it always ends the process.
      kill: () => {
        if (!exited) child.kill();
      },
      onExit: (h) => {
        child.once('exit', (code: number) => h(code, null, tail));
      },
    };
  };
}

/**
 * backends.list under Electron: `dplab backends` is the bundled dist/electron/backends.cjs in a
 * utility process (the packaged app has no Node to spawn, and its fuses forbid ELECTRON_RUN_AS_NODE).
 */
export function utilityBackendsLauncher(entry: string, env: NodeJS.ProcessEnv = trainerEnv()): ProbeLauncher {
  return (args) => {
    const child = utilityProcess.fork(entry, args, { serviceName: 'DirectPred Lab backends', stdio: ['ignore', 'pipe', 'pipe'], env });
    let exited = false;
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    return {
      onStdout: (h) => child.stdout?.on('data', h),
      onStderr: (h) => child.stderr?.on('data', h),
      onExit: (h) => {
        child.once('exit', (code: number) => {
          exited = true;
          h(code, null);
        });
      },
      kill: () => {
        if (!exited) child.kill();
      },
    };
  };
}

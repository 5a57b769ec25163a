/**
 * Where the archive lives: `--archive FILE`, else $DPLAB_ARCHIVE, else `archive.sqlite` in the user's
 * data folder (XDG on Linux, Application Support on macOS, %APPDATA% on Windows).
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The per-user data folder of DirectPred Lab. */
export function userDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA || join(homedir(), 'AppData', 'Roaming'), 'DirectPred Lab');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'DirectPred Lab');
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'directpred-lab');
}

/** The archive file to use: the explicit flag wins, then DPLAB_ARCHIVE, then the data folder. */
export function resolveArchivePath(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  if (env.DPLAB_ARCHIVE) return resolve(env.DPLAB_ARCHIVE);
  return join(userDataDir(env), 'archive.sqlite');
}

/** File paths a request names, and the archive's size on disk. */
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import { ServiceError } from './context.ts';

/**
 * A file path from a request. It must be absolute (a relative one would resolve against wherever the
 * server was started), and name something that exists, or, for a new archive, a file in an existing
 * folder: a request never creates folders.
 */
export function requestPath(path: string, what: string, opts: { mayCreate: boolean }): string {
  if (!isAbsolute(path)) throw new ServiceError('invalid-args', `the ${what} path must be absolute, got '${path.slice(0, 200)}'`);
  if (existsSync(path)) return path;
  if (!opts.mayCreate) throw new ServiceError('invalid-args', `no ${what} at ${path.slice(0, 500)}`);
  let folder: boolean;
  try {
    folder = statSync(dirname(path)).isDirectory();
  } catch {
    folder = false;
  }
  if (!folder) throw new ServiceError('invalid-args', `cannot create a new ${what} at ${path.slice(0, 500)}: the folder ${dirname(path).slice(0, 500)} does not exist`);
  return path;
}

/** The archive file's size in bytes, its write-ahead log included. */
export function fileSize(file: string): number {
  let n = 0;
  for (const f of [file, `${file}-wal`]) {
    try {
      n += statSync(f).size;
    } catch {
      // no WAL file
    }
  }
  return n;
}

/**
 * Whether a process of this machine still runs. It lives in data/, the lowest room that needs it
 * (an import's temporary folder names its pid), so runs/ (run ownership) uses this one too.
 */

/** True when a process with this id exists: signal 0 probes without touching it, EPERM means it runs as another user. */
export function processAlive(pid: number | null | undefined): boolean {
  if (pid === null || pid === undefined || !Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

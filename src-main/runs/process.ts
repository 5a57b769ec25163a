/**
 * Process identity for run ownership. A run that is queued or running names the process that owns
 * it (pid plus that process's start time, so a reused pid is not mistaken for the owner); only that
 * process may change it, and no other process marks it dead while the owner lives.
 */
import { readFileSync } from 'node:fs';
import { processAlive } from '../data/process-alive.ts';

/** Whether a pid exists (one definition, shared with the import cache's crash cleanup). */
export { processAlive };

/** The owner of a queued or running run: a process id and the process's start time (null where the OS does not tell). */
export interface ProcessId {
  pid: number;
  /** Start time as the OS reports it (Linux: clock ticks after boot, /proc/<pid>/stat field 22). */
  start: number | null;
}

/**
 * The start time of process `pid` (Linux /proc), or null where it cannot be read. The command name
 * in field 2 may hold spaces and parentheses, so the fields are counted after its last ')'.
 */
export function processStartTime(pid: number): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state), so field 22 (starttime) is rest[19].
    const v = Number(rest[19]);
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

let self: ProcessId | undefined;

/** This process as an owner. */
export function thisProcess(): ProcessId {
  self ??= { pid: process.pid, start: processStartTime(process.pid) };
  return self;
}

/**
 * Whether the owner recorded as (pid, start) still runs: the pid exists and, where start times are
 * known on both sides, it is the same process (not a later one that got the same pid).
 */
export function ownerLives(pid: number | null, start: number | null): boolean {
  if (!processAlive(pid)) return false;
  if (start === null) return true;
  const now = processStartTime(pid!);
  return now === null || now === start;
}

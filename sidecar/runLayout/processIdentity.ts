/**
 * Who holds a lock or writes a run, in a form that survives pid reuse: the pid and host,
 * plus the kernel's boot id and the process's start time (Linux /proc). A pid alone is
 * not enough: a container restarted with the same hostname hands the same small pids to
 * new processes, and a stale lock would then look held for ever.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface ProcessIdentity {
  pid: number;
  host: string;
  /** /proc/sys/kernel/random/boot_id: changes at every boot. */
  bootId?: string;
  /** Field 22 of /proc/<pid>/stat: clock ticks from boot to the process's start. */
  startTime?: string;
}

function readProc(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function bootId(): string | undefined {
  return readProc('/proc/sys/kernel/random/boot_id')?.trim() || undefined;
}

/** The start time of process `pid` (undefined where /proc is not there or the process is gone). */
export function processStartTime(pid: number): string | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest[19];
}

let self: ProcessIdentity | undefined;
export function selfIdentity(): ProcessIdentity {
  if (self && self.pid === process.pid) return self;
  const b = bootId();
  const s = processStartTime(process.pid);
  self = { pid: process.pid, host: hostname(), ...(b ? { bootId: b } : {}), ...(s ? { startTime: s } : {}) };
  return self;
}

/** Linux's largest pid_max; anything outside 1..this cannot be a process (0 and negatives would signal groups). */
const PID_MAX = 4_194_304;

export type Liveness = 'alive' | 'dead' | 'unknown';

/**
 * Whether the process `id` describes still runs. "unknown" for another host (its
 * processes cannot be checked from here). A pid that cannot be a process is dead.
 */
export function liveness(id: Partial<ProcessIdentity>): Liveness {
  const pid = id.pid;
  if (!Number.isInteger(pid) || pid! < 1 || pid! > PID_MAX) return 'dead';
  const me = selfIdentity();
  if (typeof id.host === 'string' && id.host !== me.host) {
    // Another host name on the same booted kernel (a renamed container) is still this machine.
    if (!(id.bootId && me.bootId && id.bootId === me.bootId)) return 'unknown';
  }
  if (id.bootId && me.bootId && id.bootId !== me.bootId) return 'dead'; // rebooted since: every pid is new
  try {
    process.kill(pid!, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return 'dead';
  }
  if (id.startTime) {
    const now = processStartTime(pid!);
    if (now !== undefined && now !== id.startTime) return 'dead'; // the pid was reused by a newer process
  }
  return 'alive';
}

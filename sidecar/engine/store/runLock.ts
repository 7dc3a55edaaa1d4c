/**
 * A folder's writer lock (run.lock): exclusive create of a file holding the writer's
 * identity (runLayout/processIdentity.ts: pid, host, boot id, start time). A lock whose writer is
 * gone is taken over atomically: the recoverer renames the stale file to a name of its
 * own (rename is atomic, so of two recoverers exactly one gets it), checks that what it
 * renamed is the stale lock it judged (not a fresh one a faster recoverer made meanwhile,
 * which it puts back), and then creates its own lock exclusively.
 */
import { closeSync, existsSync, linkSync, mkdirSync, openSync, readdirSync, renameSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../../runLayout/errors.ts';
import { describeFsError, readJsonIfPresent, READ_LIMITS } from '../../runLayout/guardedRead.ts';
import { explainWrite } from './atomic.ts';
import { liveness, selfIdentity, type ProcessIdentity } from '../../runLayout/processIdentity.ts';

export interface LockFile extends ProcessIdentity {
  startedAt: string;
}

export class RunLockedError extends UserError {
  constructor(message: string, path?: string) {
    super('run', message, path);
  }
}

const readLock = (file: string): LockFile | undefined => readJsonIfPresent<LockFile>(file, { what: 'lock file', kind: 'run', maxBytes: READ_LIMITS.runFile });

let takeovers = 0;

/** Test seam: runs between judging a lock stale and renaming it (where a second recoverer can interleave). */
export const lockHooks = { beforeTakeover: (): void => {} };

/**
 * Takes the writer lock `file` (creating its folder). A stale lock is recovered with
 * `notice`; a live holder, or one on another host, is refused by name. Returns the release.
 */
export function acquireLock(file: string, notice: (m: string) => void): () => void {
  const dir = dirname(file);
  const created = !existsSync(dir);
  explainWrite(dir, () => mkdirSync(dir, { recursive: true }));
  const mine: LockFile = { ...selfIdentity(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new RunLockedError(`Cannot create the lock ${file}: ${describeFsError(err, file)}.`, file);
      const held = readLock(file);
      // A lock file still empty or torn long after its creation: its writer was killed between creating and writing it.
      const torn = !held && lockAgeMs(file) > TORN_LOCK_MS;
      if ((held && liveness(held) === 'dead') || torn) {
        lockHooks.beforeTakeover();
        if (takeOver(file, held))
          notice(
            held
              ? `recovered the lock of ${dir} left by process ${held.pid} (started ${held.startedAt}), which is no longer running`
              : `recovered the lock of ${dir}: ${file} has been unreadable for over ${TORN_LOCK_MS / 1000} s (its writer was stopped as it took the lock)`,
          );
        continue;
      }
      const who = held ? `process ${held.pid} on ${held.host} (since ${held.startedAt})` : 'another process (unreadable lock file)';
      throw new RunLockedError(
        `Run folder ${dir} is being written by ${who}. Stop that run first, or train into another folder. ` +
          (held && liveness(held) === 'unknown' ? `If that process is gone, delete ${file}.` : ''),
        file,
      );
    }
    writeSync(fd, JSON.stringify(mine) + '\n');
    closeSync(fd);
    return () => {
      const now = readLock(file);
      if (now?.pid === mine.pid && now.startedAt === mine.startedAt) unlinkSync(file);
      // A run refused before writing anything (bad data, a busy backend) leaves no empty folder behind.
      try {
        if (created && readdirSync(dir).length === 0) rmdirSync(dir);
      } catch {
        // removed or filled meanwhile
      }
    };
  }
  throw new RunLockedError(`Could not take the lock of ${dir}: ${file} keeps reappearing.`, file);
}

/** How long a lock may stay unreadable (created, not yet written) before it counts as torn. */
const TORN_LOCK_MS = 10_000;

function lockAgeMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** Moves the stale lock `held` (undefined: a torn one) out of the way atomically; false when another recoverer got there first. */
function takeOver(file: string, held: LockFile | undefined): boolean {
  const aside = join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${++takeovers}`);
  try {
    renameSync(file, aside);
  } catch {
    return false; // already moved by another recoverer
  }
  const moved = readLock(aside);
  const same = held ? moved?.pid === held.pid && moved.startedAt === held.startedAt : !moved;
  if (moved && !same && liveness(moved) !== 'dead') {
    // A faster recoverer's fresh lock: put it back (link fails if yet another lock appeared, which then stands).
    try {
      linkSync(aside, file);
    } catch {
      // a newer lock is in place
    }
    unlinkSync(aside);
    return false;
  }
  unlinkSync(aside);
  return true;
}

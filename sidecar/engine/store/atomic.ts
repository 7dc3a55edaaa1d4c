/**
 * Atomic file writes: temp file in the same folder, fsync, rename over the target, fsync
 * the folder. A crash at any moment leaves either the old file or the new one, never a
 * torn one. Errors say what happened in words (disk full, read-only, permission).
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../../runLayout/errors.ts';
import { describeFsError } from '../../runLayout/guardedRead.ts';

/** A write that failed; the message names the file and says why in words (no bare errno). */
export class WriteError extends UserError {
  constructor(file: string, message: string) {
    super('output', message, file);
  }
}

/** Seam for tests: the one place bytes reach the disk. */
export const diskWrites = {
  write(fd: number, buf: Uint8Array): void {
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
  },
};

/** Writes bytes to `file` atomically: temp file in the same folder, fsync, rename, fsync folder. */
export function writeFileAtomic(file: string, parts: Uint8Array[]): void {
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    for (const p of parts) diskWrites.write(fd, p);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOSPC' ? 'the disk is full' : describeFsError(err, tmp);
    throw new WriteError(file, `Could not write ${file}: ${why}. Nothing was overwritten; the previous version is intact.`);
  }
  try {
    const dfd = openSync(dirname(file), 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // Directory fsync is best effort (not supported everywhere).
  }
}

/** Runs a file-system write on `file`, turning an errno failure into a WriteError that names the file. */
export function explainWrite<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof UserError || typeof (err as NodeJS.ErrnoException).code !== 'string') throw err;
    throw new WriteError(file, `Could not write ${file}: ${describeFsError(err, file)}.`);
  }
}

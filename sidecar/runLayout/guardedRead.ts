/**
 * The one way the product opens a file it reads (checkpoints, configs, run files, binary
 * datasets, images, shipped weights). Only regular files are read, up to a size bound:
 *  - the open is non-blocking (O_NONBLOCK), so a FIFO with no writer cannot freeze the
 *    process (the sidecar serves every request on one event loop);
 *  - fstat on the opened descriptor (not the path, which could change in between) refuses
 *    FIFOs, devices, sockets and folders before a byte is read;
 *  - the bound is checked against the size and again while reading, so a file that grows,
 *    or one whose size lies (procfs), cannot be read without end;
 *  - every failure is a UserError that names the file and says what it is in words
 *    (a symbolic-link loop, a dangling link, permission denied), never a bare errno.
 */
import { constants as bufferConstants } from 'node:buffer';
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, type Stats } from 'node:fs';
import { UserError, type UserErrorKind } from './errors.ts';

export interface ReadGuard {
  /** What the file is, for messages ("checkpoint", "config", "image"). */
  what: string;
  /** The UserError kind of a refusal. */
  kind: UserErrorKind;
  /** The largest file accepted, in bytes. */
  maxBytes: number;
}

const MiB = 1024 * 1024;

/** Size bounds by file role: large enough for any real file, small enough that a wrong file is refused before it fills memory. */
export const READ_LIMITS = {
  config: 4 * MiB,
  /** status.json, fit-prior.json, report.json, the checkpoints' `latest` pointer. */
  runFile: 4 * MiB,
  metrics: 512 * MiB,
  /** A file is read into one buffer, which holds at most 4 GiB (Node 20): the paper's networks with their Adam moments take over 1 GiB. */
  checkpoint: Math.min(4096 * MiB, bufferConstants.MAX_LENGTH) - MiB,
  image: 256 * MiB,
  /** STL-10's unlabeled_X.bin is 2.6 GiB. */
  dataset: Math.min(4096 * MiB, bufferConstants.MAX_LENGTH) - MiB,
} as const;

/** A file the product cannot read as asked; the message names it and says why. */
export class FileReadError extends UserError {
  constructor(kind: UserErrorKind, file: string, message: string) {
    super(kind, message, file);
  }
}

/** What a non-regular file is, in words. */
export function fileTypeName(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFile()) return 'a regular file';
  return 'a special file';
}

/** Why an fs call on `file` failed, in words (the errno kept in parentheses for searches). */
export function describeFsError(err: unknown, file: string): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT': {
      try {
        if (lstatSync(file).isSymbolicLink()) return 'it is a symbolic link to a missing file';
      } catch {
        // not there at all
      }
      return 'file not found';
    }
    case 'ELOOP':
      return 'it is a symbolic link loop (links that point back to each other), ELOOP';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${e.code})`;
    case 'EISDIR':
      return 'it is a folder';
    case 'ENOTDIR':
      return 'a part of its path is not a folder';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files in this process or system';
    case 'ENXIO':
      return 'it is a device or socket with nothing behind it (ENXIO)';
    case 'EAGAIN':
      return 'it would block (a FIFO or device, EAGAIN)';
    case 'ENOSPC':
      return 'the disk is full (ENOSPC)';
    case 'EROFS':
      return 'the file system is read-only (EROFS)';
    case 'EEXIST':
      return 'it already exists (EEXIST)';
    case 'EFBIG':
      return 'the file is larger than this file system or process allows (EFBIG)';
    case 'EIO':
      return 'an input/output error from the disk (EIO)';
    default:
      return e?.message ?? String(err);
  }
}

const cap = (s: string): string => s[0]!.toUpperCase() + s.slice(1);

/** Opens `file` for reading, non-blocking, and checks that it is a regular file within the bound. Returns the descriptor and size. */
function openRegular(file: string, g: ReadGuard): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    throw new FileReadError(g.kind, file, `Cannot read ${g.what} ${file}: ${describeFsError(err, file)}.`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new FileReadError(g.kind, file, `Cannot read ${g.what} ${file}: it is ${fileTypeName(st)}, not a regular file.`);
    if (st.size > g.maxBytes) throw tooLarge(file, g, st.size);
    return { fd, size: st.size };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

function tooLarge(file: string, g: ReadGuard, size: number | undefined): FileReadError {
  const mb = (b: number): string => `${(b / MiB).toFixed(b < MiB ? 3 : 0)} MiB`;
  return new FileReadError(
    g.kind,
    file,
    `${cap(g.what)} ${file} is ${size === undefined ? 'larger than' : `${mb(size)}, over`} the limit of ${mb(g.maxBytes)} for ${g.what} files; is it the right file?`,
  );
}

/** The bytes of a regular file, refused (FileReadError) when it is anything else or over `g.maxBytes`. */
export function readGuarded(file: string, g: ReadGuard): Buffer {
  const { fd, size } = openRegular(file, g);
  try {
    // Read to EOF rather than trusting the size: the file may have grown, or report 0 (procfs).
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(Math.max(size - total, 0) + 64 * 1024, g.maxBytes + 1 - total);
      const buf = Buffer.allocUnsafe(want);
      let n: number;
      try {
        n = readSync(fd, buf, 0, want, null);
      } catch (err) {
        throw new FileReadError(g.kind, file, `Cannot read ${g.what} ${file}: ${describeFsError(err, file)}.`);
      }
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > g.maxBytes) throw tooLarge(file, g, undefined);
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** A regular text file as UTF-8 (readGuarded's checks). */
export function readTextGuarded(file: string, g: ReadGuard): string {
  return readGuarded(file, g).toString('utf8');
}

/** A regular JSON file parsed; undefined when it is missing or unreadable as JSON (run files a killed writer may have left torn). Other refusals throw. */
export function readJsonIfPresent<T>(file: string, g: ReadGuard): T | undefined {
  let text: string;
  try {
    text = readTextGuarded(file, g);
  } catch (err) {
    if (err instanceof FileReadError && /file not found/.test(err.message)) return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

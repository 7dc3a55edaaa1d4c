/**
 * The one way to claim a folder the product writes into (a training run, a fitted prior,
 * a comparison). A folder may be written only when it is new, empty, or already ours:
 * ours means its marker file says so (or, for runs made before the marker existed, its
 * status or config file reads as a run's) AND every entry in it is one the layout allows,
 * of the right type. Anything else is refused, naming what was found, so a user's folder
 * (or a run with files of theirs added) is never written over. Links inside are refused
 * too: writing config.json through a link would replace the file it points to.
 */
import { accessSync, constants, lstatSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { explainWrite, writeFileAtomic } from './atomic.ts';
import { UserError } from '../../runLayout/errors.ts';
import { describeFsError, fileTypeName, READ_LIMITS, readJsonIfPresent } from '../../runLayout/guardedRead.ts';

export type OutputKind = 'run' | 'compare';

/** The marker file: its presence with this content is what makes a folder ours. */
export const MARKER = '.ecvae-folder.json';
const MARKER_BODY = (kind: OutputKind): { ecvae: string; format: number; kind: OutputKind } => ({ ecvae: 'output-folder', format: 1, kind });

/** Files an operating system's file browser leaves in any folder it shows (never the user's data, never ours). */
const OS_METADATA = /^(\.DS_Store|\._.+|Thumbs\.db|desktop\.ini)$/;

/** Temporary files of atomic writes (atomic.ts) and lock takeovers (runLock.ts), left by a killed writer. */
export const TEMP_NAME = /^\..+\.tmp-\d+(-\d+)?$/;

const RUN_FILES = [/^config\.json$/, /^source\.json$/, /^status\.json$/, /^metrics\.jsonl$/, /^run\.lock$/, /^fit-prior\.json$/];
const RUN_DIRS: Record<string, RegExp[]> = {
  checkpoints: [/^iter-\d+\.ckpt$/, /^latest$/],
  samples: [/^iter-\d+(-mcmc)?\.png$/],
};
const COMPARE_FILES = [/^report\.json$/, /^report\.md$/, /^comparison\.svg$/, /^[a-z-]+-(one-step|mcmc)\.png$/];

export class OutputFolderError extends UserError {
  constructor(dir: string, message: string) {
    super('output', message, dir);
  }
}

const isFile = (p: string): boolean => lstatSync(p).isFile();
const isDir = (p: string): boolean => lstatSync(p).isDirectory();

/** Entries of `dir` (recursively for a compare folder's runs) that the layout of `kind` does not allow, as paths relative to `root`. */
function foreignEntries(dir: string, kind: OutputKind, root: string): string[] {
  const out: string[] = [];
  const rel = (p: string): string => relative(root, p) || '.';
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) {
      out.push(`${rel(p)} (a symbolic link)`);
      continue;
    }
    if (OS_METADATA.test(name) && st.isFile()) continue;
    if (name === MARKER || TEMP_NAME.test(name)) {
      if (!st.isFile()) out.push(`${rel(p)} (${fileTypeName(st)})`);
      continue;
    }
    if (kind === 'run') {
      if (RUN_FILES.some((r) => r.test(name))) {
        if (!st.isFile()) out.push(`${rel(p)} (${fileTypeName(st)})`);
      } else if (Object.hasOwn(RUN_DIRS, name) && st.isDirectory()) {
        for (const inner of readdirSync(p).sort()) {
          const q = join(p, inner);
          const ok = (RUN_DIRS[name]!.some((r) => r.test(inner)) || TEMP_NAME.test(inner) || OS_METADATA.test(inner)) && isFile(q);
          if (!ok) out.push(rel(q));
        }
      } else out.push(rel(p));
    } else {
      if (COMPARE_FILES.some((r) => r.test(name))) {
        if (!st.isFile()) out.push(`${rel(p)} (${fileTypeName(st)})`);
      } else if (st.isDirectory() && /^[a-z-]+$/.test(name) && isOurs(p, 'run')) out.push(...foreignEntries(p, 'run', root));
      else out.push(rel(p));
    }
  }
  return out;
}

/** Whether `dir` says it is a folder of `kind`: its marker, or (runs from before the marker) a status or config file that reads as a run's. */
function isOurs(dir: string, kind: OutputKind): boolean {
  const marker = readJsonIfPresent<{ ecvae?: unknown; kind?: unknown }>(join(dir, MARKER), {
    what: 'folder marker',
    kind: 'output',
    maxBytes: READ_LIMITS.runFile,
  });
  if (marker) return marker.ecvae === 'output-folder' && marker.kind === kind;
  if (kind === 'compare') {
    // A comparison from before the marker: one of its variant runs is there.
    return readdirSync(dir).some((n) => /^[a-z-]+$/.test(n) && isDir(join(dir, n)) && isOurs(join(dir, n), 'run'));
  }
  const status = safeJson<{ status?: unknown; iteration?: unknown }>(join(dir, 'status.json'));
  if (status && typeof status.status === 'string' && Number.isInteger(status.iteration)) return true;
  const config = safeJson<{ model?: unknown; data?: unknown }>(join(dir, 'config.json'));
  return Boolean(config && typeof config.model === 'object' && typeof config.data === 'object');
}

function safeJson<T>(file: string): T | undefined {
  try {
    return isFile(file) ? readJsonIfPresent<T>(file, { what: 'run file', kind: 'output', maxBytes: READ_LIMITS.runFile }) : undefined;
  } catch {
    return undefined;
  }
}

export interface Claim {
  dir: string;
  /** The folder did not exist, or was empty: nothing of a previous run to keep. */
  fresh: boolean;
}

/**
 * Checks that `dir` may be written as a folder of `kind` (`what` names the command for
 * messages, e.g. "train"). Creates nothing: call it before any work, so a refusal comes
 * at once. Throws OutputFolderError naming the folder and what in it is not ours.
 */
export function claimOutputFolder(dir: string, kind: OutputKind, what: string): Claim {
  const abs = resolve(dir);
  let st;
  try {
    st = statSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new OutputFolderError(abs, `Cannot use ${abs} as the output folder: ${describeFsError(err, abs)}.`);
    requireCreatable(abs);
    return { dir: abs, fresh: true };
  }
  if (!st.isDirectory()) throw new OutputFolderError(abs, `Cannot use ${abs} as the output folder: it is ${fileTypeName(st)}, not a folder.`);
  let names: string[];
  try {
    names = readdirSync(abs);
  } catch (err) {
    throw new OutputFolderError(abs, `Cannot use ${abs} as the output folder: ${describeFsError(err, abs)}.`);
  }
  // Empty, or only a writer's lock (a run that has just started and not written yet): nothing of a user's to lose.
  const bare = (n: string): boolean => (n === 'run.lock' || n === MARKER || TEMP_NAME.test(n) || OS_METADATA.test(n)) && isFile(join(abs, n));
  if (names.every(bare)) return { dir: abs, fresh: true };
  const label = kind === 'run' ? 'an EC-VAE run folder' : 'an EC-VAE comparison folder';
  if (!isOurs(abs, kind)) {
    const shown = names.sort().slice(0, 5).join(', ') + (names.length > 5 ? `, and ${names.length - 5} more` : '');
    throw new OutputFolderError(
      abs,
      `${what}: the output folder ${abs} is not empty and is not ${label} (it holds ${shown}). Nothing was written; choose a new or empty folder.`,
    );
  }
  const foreign = foreignEntries(abs, kind, abs);
  if (foreign.length) {
    const shown = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? `, and ${foreign.length - 5} more` : '');
    throw new OutputFolderError(
      abs,
      `${what}: the output folder ${abs} is ${label} but also holds files that are not part of one: ${shown}. Nothing was written; move those files out, or choose a new folder.`,
    );
  }
  return { dir: abs, fresh: false };
}

/** A folder to be created: its nearest existing ancestor must be a writable folder (checked now, not after the work). */
function requireCreatable(abs: string): void {
  let up = dirname(abs);
  for (;;) {
    try {
      const st = statSync(up);
      if (!st.isDirectory()) throw new OutputFolderError(abs, `Cannot create the output folder ${abs}: ${up} is ${fileTypeName(st)}, not a folder.`);
      break;
    } catch (err) {
      if (err instanceof OutputFolderError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(up) === up)
        throw new OutputFolderError(abs, `Cannot create the output folder ${abs}: ${up}: ${describeFsError(err, up)}.`);
      up = dirname(up);
    }
  }
  try {
    accessSync(up, constants.W_OK);
  } catch (err) {
    throw new OutputFolderError(abs, `Cannot create the output folder ${abs} in ${up}: ${describeFsError(err, up)}.`);
  }
}

/** Creates `dir` if needed and writes its marker (after claimOutputFolder allowed it). */
export function markOutputFolder(dir: string, kind: OutputKind): void {
  explainWrite(dir, () => mkdirSync(dir, { recursive: true }));
  const file = join(dir, MARKER);
  if (readJsonIfPresent(file, { what: 'folder marker', kind: 'output', maxBytes: READ_LIMITS.runFile }) === undefined)
    writeFileAtomic(file, [Buffer.from(JSON.stringify(MARKER_BODY(kind)) + '\n')]);
}

/**
 * Removes the temporary files a killed writer left in a run folder (its own and those of
 * checkpoints/ and samples/). Call only while holding the folder's writer lock: then no
 * other writer can be in the middle of the write a temp file belongs to.
 */
export function removeStaleTemps(runDir: string): string[] {
  const removed: string[] = [];
  for (const dir of [runDir, join(runDir, 'checkpoints'), join(runDir, 'samples')]) {
    let names: string[];
    try {
      if (!isDir(dir)) continue;
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) {
      const p = join(dir, n);
      if (TEMP_NAME.test(n) && isFile(p)) {
        rmSync(p, { force: true });
        removed.push(p);
      }
    }
  }
  return removed;
}

/** Refuses an output path that is the same as another output or an input (an input would be overwritten before, or while, it is read). */
export function requireDistinctPaths(outputs: Record<string, string | undefined>, inputs: Record<string, string | undefined>): void {
  const seen = new Map<string, string>();
  const key = (p: string): string => {
    const abs = resolve(p);
    try {
      const st = statSync(abs);
      return `${st.dev}:${st.ino}`; // the same file under two names (a link) counts as the same
    } catch {
      return abs;
    }
  };
  for (const [name, p] of Object.entries(inputs)) if (p !== undefined) seen.set(key(p), name);
  for (const [name, p] of Object.entries(outputs)) {
    if (p === undefined) continue;
    const k = key(p);
    const other = seen.get(k);
    if (other !== undefined)
      throw new OutputFolderError(resolve(p), `The ${name} path ${p} is the same file as the ${other}; give each output its own path, apart from the inputs.`);
    seen.set(k, name);
  }
}

/**
 * Checks an output file before any work: its folder exists and is writable, and the
 * path is not a folder or a special file. (An existing regular file is replaced: the
 * user named it as the output.)
 */
export function requireOutputFile(file: string, what: string): void {
  const abs = resolve(file);
  const parent = dirname(abs);
  let st;
  try {
    st = statSync(parent);
  } catch (err) {
    throw new OutputFolderError(abs, `Cannot write the ${what} ${file}: its folder ${parent}: ${describeFsError(err, parent)}.`);
  }
  if (!st.isDirectory()) throw new OutputFolderError(abs, `Cannot write the ${what} ${file}: ${parent} is not a folder.`);
  try {
    accessSync(parent, constants.W_OK);
  } catch (err) {
    throw new OutputFolderError(abs, `Cannot write the ${what} ${file}: its folder ${parent}: ${describeFsError(err, parent)}.`);
  }
  let target;
  try {
    target = statSync(abs);
  } catch {
    return; // new file
  }
  if (!target.isFile()) throw new OutputFolderError(abs, `Cannot write the ${what} ${file}: it is ${fileTypeName(target)}, not a regular file.`);
}

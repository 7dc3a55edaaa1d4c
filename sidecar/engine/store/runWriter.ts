/**
 * Writing a run folder (the trainer): its layout, status, metrics and writer lock. The
 * layout, file names and formats are the run-layout leaf's (sidecar/runLayout/runFolder.ts),
 * which also reads them; this module only writes.
 */
import { existsSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { explainWrite, writeFileAtomic } from './atomic.ts';
import { READ_LIMITS, readTextGuarded } from '../../runLayout/guardedRead.ts';
import { selfIdentity } from '../../runLayout/processIdentity.ts';
import { configHash, readMetrics, runFiles, type MetricsRecord, type SourceFile, type StatusFile } from '../../runLayout/runFolder.ts';
import { markOutputFolder } from './outputFolder.ts';
import { acquireLock } from './runLock.ts';

export { RunLockedError } from './runLock.ts';

/**
 * Creates the folder's layout and writes config.json; a fresh run starts an empty
 * metrics.jsonl. With the config file it came from, records that file and its hash
 * (source.json; a resumed run records the config it continues with).
 */
export function prepareRunFolder(runDir: string, config: object, fresh: boolean, configFile?: string): void {
  const f = runFiles(runDir);
  markOutputFolder(runDir, 'run');
  explainWrite(f.checkpoints, () => mkdirSync(f.checkpoints, { recursive: true }));
  explainWrite(f.samples, () => mkdirSync(f.samples, { recursive: true }));
  writeFileAtomic(f.config, [Buffer.from(JSON.stringify(config, null, 2) + '\n')]);
  if (fresh) writeFileAtomic(f.metrics, []);
  if (configFile) {
    const text = readTextGuarded(configFile, { what: 'config', kind: 'config', maxBytes: READ_LIMITS.config });
    const source: SourceFile = { configFile: resolve(configFile), configHash: configHash(text) };
    writeFileAtomic(f.source, [Buffer.from(JSON.stringify(source, null, 2) + '\n')]);
  } else if (fresh && existsSync(f.source)) unlinkSync(f.source);
}

export function writeStatus(runDir: string, s: Omit<StatusFile, 'pid' | 'host' | 'updatedAt'>): void {
  const body: StatusFile = { ...s, ...selfIdentity(), updatedAt: new Date().toISOString() };
  writeFileAtomic(runFiles(runDir).status, [Buffer.from(JSON.stringify(body, null, 2) + '\n')]);
}

export function appendMetrics(runDir: string, record: MetricsRecord): void {
  const file = runFiles(runDir).metrics;
  explainWrite(file, () => writeFileSync(file, JSON.stringify(record) + '\n', { flag: 'a' }));
}

/** Keeps metrics.jsonl lines up to `iteration` (a killed run may have logged past its last checkpoint). */
export function truncateMetrics(runDir: string, iteration: number): void {
  const kept = readMetrics(runDir).filter((r) => r.iteration <= iteration);
  writeFileAtomic(runFiles(runDir).metrics, [Buffer.from(kept.map((r) => JSON.stringify(r) + '\n').join(''))]);
}

/**
 * Takes the folder's writer lock (runLock.ts), so that two trainers never
 * interleave one run's metrics and checkpoints. A lock whose writer is gone (its pid
 * dead or reused, or the machine rebooted) is recovered with `notice`; a live holder, or
 * one on another host whose liveness cannot be checked, is refused with its name.
 * Returns the release function.
 */
export function acquireRunLock(runDir: string, notice: (m: string) => void): () => void {
  return acquireLock(runFiles(runDir).lock, notice);
}

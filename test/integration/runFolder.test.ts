/**
 * The run folder (runLayout/runFolder.ts reads it, engine/store/runWriter.ts writes it): one writer at a time (a live holder is refused by
 * name, a dead one's lock recovered), a dead writer's run reads as "interrupted", torn
 * metrics lines are skipped, and readers see what the trainer wrote.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { train } from '../../sidecar/engine/jobs/run.ts';
import {
  configHash,
  listRuns,
  readMetrics,
  readRunSnapshot,
  readRunSummary,
  runFiles,
  samplePath,
  type MetricsRecord,
} from '../../sidecar/runLayout/runFolder.ts';
import { acquireRunLock, appendMetrics, prepareRunFolder, RunLockedError, truncateMetrics, writeStatus } from '../../sidecar/engine/store/runWriter.ts';
import { tempDir, useBackend, withDefaults } from '../helpers.ts';

/** The pid of a process that has exited (so no live process has it, barring reuse within the test). */
const deadPid = (): number =>
  spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout as unknown as number;

const record = (iteration: number): MetricsRecord => ({ iteration, rec: 1, kl: 1, elbo: 1, lambda: 1, itPerSec: 1, elapsed: iteration });

test('the writer lock: a live holder is refused by name; the lock goes with its release', () => {
  const dir = join(tempDir(), 'run');
  const release = acquireRunLock(dir, () => assert.fail('no notice for a fresh lock'));
  const held = JSON.parse(readFileSync(runFiles(dir).lock, 'utf8')) as { pid: number; host: string };
  assert.deepEqual([held.pid, held.host], [process.pid, hostname()]);
  assert.throws(
    () => acquireRunLock(dir, () => {}),
    (err: unknown) => {
      assert.ok(err instanceof RunLockedError);
      assert.match(
        err.message,
        new RegExp(`is being written by process ${process.pid} on ${hostname()} \\(since .+\\)\\. Stop that run first, or train into another folder\\.`),
      );
      return true;
    },
  );
  release();
  assert.ok(!existsSync(dir), 'a folder the lock created and nothing else used is removed again');
  const again = acquireRunLock(dir, () => {});
  again();
});

test("the writer lock: a dead process's lock is recovered with a notice; another host's is refused with how to clear it", () => {
  const dir = join(tempDir(), 'run');
  mkdirSync(dir);
  const pid = Number(deadPid());
  writeFileSync(runFiles(dir).lock, JSON.stringify({ pid, host: hostname(), startedAt: '2026-01-01T00:00:00Z' }));
  const notices: string[] = [];
  const release = acquireRunLock(dir, (m) => notices.push(m));
  assert.match(
    notices.join('\n'),
    new RegExp(`recovered the lock of .*run left by process ${pid} \\(started 2026-01-01T00:00:00Z\\), which is no longer running`),
  );
  release();
  writeFileSync(runFiles(dir).lock, JSON.stringify({ pid: 1, host: 'elsewhere', startedAt: '2026-01-01T00:00:00Z' }));
  assert.throws(() => acquireRunLock(dir, () => {}), /being written by process 1 on elsewhere .* If that process is gone, delete .*run\.lock\./);
});

test('two trainers on one run folder: the second is refused while the first trains, and nothing of the first is lost', async () => {
  await useBackend('wasm');
  const runDir = join(tempDir(), 'run');
  const cfg = withDefaults({
    data: { kind: 'gaussians25', count: 500 },
    model: { hidden: 8, depth: 1, latentDim: 2 },
    training: { iterations: 400, batchSize: 16 },
    calibration: { sgldSteps: 1 },
    logging: { every: 10, checkpointEvery: 400, sampleEvery: 400 },
  });
  const abort = new AbortController();
  const first = train(cfg, { runDir, signal: abort.signal });
  await assert.rejects(train(cfg, { runDir, resume: true }), /is being written by process \d+ on .*Stop that run first/);
  abort.abort();
  const r = await first;
  assert.equal(r.status, 'stopped');
  assert.deepEqual(
    readMetrics(runDir).map((m) => m.iteration),
    Array.from({ length: Math.floor(r.iteration / 10) }, (_, i) => 10 * (i + 1)),
  );
  assert.equal(readRunSummary(runDir).status, 'stopped');
});

test('a run whose writer died reads as interrupted; status, metrics, samples and checkpoints read back', () => {
  const root = tempDir();
  const runDir = join(root, 'a');
  prepareRunFolder(runDir, { name: 'toy', training: { iterations: 100 } }, true);
  writeStatus(runDir, { status: 'running', iteration: 20, total: 100 });
  assert.equal(readRunSummary(runDir).status, 'running', 'this process is alive');
  const status = JSON.parse(readFileSync(runFiles(runDir).status, 'utf8')) as Record<string, unknown>;
  writeFileSync(runFiles(runDir).status, JSON.stringify({ ...status, pid: Number(deadPid()) }));
  const s = readRunSummary(runDir);
  assert.equal(s.status, 'interrupted');
  assert.match(s.message!, /^interrupted: process \d+ ended without finishing; resume to continue from the last checkpoint$/);
  for (const i of [10, 20, 30]) appendMetrics(runDir, record(i));
  writeFileSync(runFiles(runDir).metrics, readFileSync(runFiles(runDir).metrics, 'utf8') + '{"iteration": 40, "rec"'); // torn by a kill
  assert.deepEqual(
    readMetrics(runDir).map((r) => r.iteration),
    [10, 20, 30],
  );
  truncateMetrics(runDir, 20);
  assert.deepEqual(
    readMetrics(runDir).map((r) => r.iteration),
    [10, 20],
  );
  for (const [it, kind] of [
    [10, 'one-step'],
    [20, 'one-step'],
    [10, 'mcmc'],
  ] as const)
    writeFileSync(samplePath(runDir, it, kind), '');
  writeFileSync(join(runFiles(runDir).checkpoints, 'iter-000020.ckpt'), '');
  const snap = readRunSnapshot(runDir);
  assert.deepEqual(
    snap.samples.map((x) => [x.kind, x.iteration]),
    [
      ['one-step', 10],
      ['mcmc', 10],
      ['one-step', 20],
    ],
    'every grid, oldest first (the dashboard steps through them)',
  );
  assert.deepEqual([snap.name, snap.total, snap.checkpoints.length], ['toy', 100, 1]);
  mkdirSync(join(root, 'not-a-run'));
  writeFileSync(join(root, 'file.txt'), '');
  assert.deepEqual(
    listRuns(root).map((r) => [r.name, r.status]),
    [['toy', 'interrupted']],
  );
  assert.deepEqual(listRuns(join(root, 'missing')), []);
});

test('a run records the config it was trained from and its hash; the hash ignores layout, key order and $schema', () => {
  const a = '{ "name": "x", "data": { "kind": "mnist", "limit": 5 } }';
  const same = '{\n  "$schema": "../schemas/ecvae-run.schema.json",\n  "data": { "limit": 5, "kind": "mnist" },\n  "name": "x"\n}\n';
  assert.equal(configHash(a), configHash(same));
  assert.notEqual(configHash(a), configHash(a.replace('5', '6')));
  assert.match(configHash(a), /^[0-9a-f]{16}$/);
  const dir = tempDir();
  const file = join(dir, 'x.ecvae.json');
  writeFileSync(file, a);
  const runDir = join(dir, 'runs', 'x');
  prepareRunFolder(runDir, withDefaults(JSON.parse(a)), true, file);
  const s = readRunSummary(runDir);
  assert.equal(s.configFile, file);
  assert.equal(s.configHash, configHash(a));
  // A fresh run without a config file (the API) records none: no stale hash from an earlier run.
  prepareRunFolder(runDir, withDefaults(JSON.parse(a)), true);
  assert.equal(readRunSummary(runDir).configHash, undefined);
  assert.ok(!existsSync(runFiles(runDir).source));
});

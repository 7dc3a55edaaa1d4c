/**
 * A training run on a worker thread (jobs/trainThread.ts, what `compare` uses to train its
 * variants side by side): the run it makes is the in-process run, its events come back,
 * and a failure rejects with the error the in-process run gives, its kind kept.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { train } from '../../sidecar/engine/jobs/run.ts';
import { trainOnThread } from '../../sidecar/engine/jobs/trainThread.ts';
import type { MetricsRecord } from '../../sidecar/engine/jobs/run.ts';
import type { RunConfig } from '../../sidecar/engine/config/config.ts';
import { UserError } from '../../sidecar/runLayout/errors.ts';
import { tempDir, useBackend, withDefaults } from '../helpers.ts';

const toy = (): RunConfig =>
  withDefaults({
    backend: 'wasm',
    data: { kind: 'gaussians25', count: 500 },
    model: { kind: 'mlp', latentDim: 2, hidden: 16, depth: 2 },
    training: { iterations: 12, batchSize: 32 },
    calibration: { sgldSteps: 2 },
    logging: { every: 4, sampleEvery: 1000, checkpointEvery: 6 },
  });

/** The logged metrics without the wall-clock fields. */
function metrics(runDir: string): Record<string, unknown>[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => Object.fromEntries(Object.entries(JSON.parse(l) as Record<string, unknown>).filter(([k]) => !/elapsed|time|sec/i.test(k))));
}

test('a run trained on a worker thread equals the in-process run, and its events come back', async () => {
  await useBackend('wasm');
  const root = tempDir();
  const logs: string[] = [];
  const seen: MetricsRecord[] = [];
  const checkpoints: number[] = [];
  const onThread = await trainOnThread(
    { config: toy(), opts: { runDir: join(root, 'thread') } },
    { onLog: (m) => logs.push(m), onMetrics: (m) => seen.push(m), onCheckpoint: (_f, it) => checkpoints.push(it) },
  );
  const inProcess = await train(toy(), { runDir: join(root, 'here') });
  assert.equal(onThread.status, 'finished');
  assert.equal(onThread.iteration, 12);
  assert.equal(onThread.backend.backend, 'wasm');
  assert.deepEqual(metrics(join(root, 'thread')), metrics(join(root, 'here')));
  assert.deepEqual(onThread.last?.rec, inProcess.last?.rec);
  assert.ok(
    logs.some((m) => m.startsWith('backend wasm')),
    logs.join('\n'),
  );
  assert.deepEqual(
    seen.map((m) => m.iteration),
    [4, 8, 12],
  );
  assert.deepEqual(checkpoints, [6, 12]);
});

test('a failing run on a thread rejects with the in-process error, a user error keeping its kind', async () => {
  await useBackend('wasm');
  const mine = join(tempDir(), 'mine');
  mkdirSync(mine);
  writeFileSync(join(mine, 'notes.txt'), 'my notes');
  const here = await train(toy(), { runDir: mine }).then(
    () => assert.fail('the in-process run refused the folder'),
    (e: unknown) => e as UserError,
  );
  await assert.rejects(trainOnThread({ config: toy(), opts: { runDir: mine } }), (e: unknown) => {
    assert.ok(e instanceof UserError, String(e));
    assert.equal(e.kind, here.kind);
    assert.equal(e.message, here.message);
    return true;
  });
  assert.equal(readFileSync(join(mine, 'notes.txt'), 'utf8'), 'my notes');
  // Not a user error (the config lacks its training section): a plain error, no hang.
  const broken = { ...toy(), training: undefined } as unknown as RunConfig;
  await assert.rejects(trainOnThread({ config: broken, opts: { runDir: join(tempDir(), 'broken') } }), (e: unknown) => {
    assert.ok(e instanceof Error && !(e instanceof UserError), String(e));
    return true;
  });
});

/**
 * The extension's sidecar client against the real sidecar: typed requests and
 * notifications; when the sidecar dies mid-run the client notices at once, rejects the
 * pending request with a clear error, reports the run as failed, and the next request
 * starts a new sidecar. Nothing hangs. A cancelled request stops the sidecar's work
 * promptly and the same sidecar keeps serving.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RequestCancelledError, SidecarClient, SidecarDiedError } from '../../extension/sidecarClient.ts';
import { encodePng } from '../../sidecar/engine/data/images.ts';
import type { Notifications } from '../../sidecar/protocol.ts';
import { cli, repoRoot, tempDir } from '../helpers.ts';

test('sidecar death: pending request rejected, run marked failed, next request restarts the sidecar', async () => {
  const dir = tempDir();
  const config = join(dir, 'toy.ecvae.json');
  writeFileSync(
    config,
    JSON.stringify({
      name: 'toy',
      data: { kind: 'gaussians25', count: 2000 },
      model: { hidden: 16, depth: 2, latentDim: 2 },
      training: { iterations: 100000, batchSize: 32 },
      calibration: { sgldSteps: 2, sgldStepSize: 0.001 },
      logging: { every: 5, sampleEvery: 100000, checkpointEvery: 50 },
    }),
  );
  const died: { err: SidecarDiedError; runs: string[] }[] = [];
  const logs: string[] = [];
  const client = new SidecarClient({
    sidecarPath: join(repoRoot, 'dist', 'sidecar.js'),
    onLog: (l) => logs.push(l),
    onDied: (err, runs) => died.push({ err, runs }),
  });
  const finished: Notifications['train/finished'][] = [];
  client.on('train/finished', (p) => finished.push(p));
  let progress = 0;
  client.on('train/progress', () => progress++);
  try {
    const first = await client.request('initialize', {});
    assert.equal(first.pid, client.pid);
    const { runId } = await client.startTraining({ configPath: config, runDir: join(dir, 'run') });
    while (progress < 2) await new Promise((r) => setTimeout(r, 20));

    // A long request in flight when the sidecar is killed.
    const pending = client.request('sample', { checkpoint: join(dir, 'run'), out: join(dir, 'g.png'), n: 3_000_000 });
    process.kill(first.pid, 'SIGKILL');
    await assert.rejects(pending, (err: unknown) => {
      assert.ok(err instanceof SidecarDiedError);
      assert.match(err.message, /The EC-VAE sidecar stopped unexpectedly \(signal SIGKILL\)\. It will be restarted on the next command\./);
      return true;
    });
    assert.equal(died.length, 1);
    assert.deepEqual(died[0]!.runs, [runId]);
    const f = finished.find((x) => x.runId === runId)!;
    assert.equal(f.status, 'failed');
    assert.match(f.error!, /stopped unexpectedly/);

    // The next command starts a fresh sidecar; the killed run is listed as interrupted (its lock is stale).
    const second = await client.request('initialize', {});
    assert.notEqual(second.pid, first.pid);
    const { runs } = await client.request('runs/list', { dir });
    const run = runs.find((r) => r.runDir === join(dir, 'run'))!;
    assert.equal(run.name, 'toy', 'named by its config');
    assert.equal(run.status, 'interrupted');
    assert.match(run.message!, /^interrupted: process \d+ ended without finishing; resume to continue from the last checkpoint$/);
  } finally {
    await client.dispose();
  }
  assert.equal(client.pid, undefined, 'disposed: no sidecar left running');
});

test('live restoration frames carry their token from step 0; cancellation: a long restoration stops within a step, writes nothing, and the sidecar keeps serving', async (t) => {
  const dir = tempDir();
  writeFileSync(
    join(dir, 'c.ecvae.json'),
    JSON.stringify({
      data: { kind: 'mnist', limit: 32 },
      model: { kind: 'conv', width: 4, latentDim: 4, ebmHidden: 8 },
      training: { iterations: 4, batchSize: 16 },
      calibration: { sgldSteps: 1 },
      logging: { every: 2, sampleEvery: 100, checkpointEvery: 4 },
    }),
  );
  const trained = cli(['train', join(dir, 'c.ecvae.json'), '--out', join(dir, 'run'), '--json']);
  assert.equal(trained.status, 0, trained.stderr);
  const image = join(dir, 'gray.png');
  writeFileSync(image, encodePng(new Float32Array(28 * 28).fill(0.3), 28, 28, 1));
  const logs: string[] = [];
  const client = new SidecarClient({ sidecarPath: join(repoRoot, 'dist', 'sidecar.js') });
  client.on('log', (p) => logs.push(p.message));
  try {
    const { pid } = await client.request('initialize', {});
    // Live estimates: the request's progress callback hears its restore/progress frames (token of its own), from step 0.
    const frames: { token: string; step: number; steps: number; image: string }[] = [];
    const others: unknown[] = [];
    const sub = client.on('restore/progress', (f) => void others.push(f));
    const t0Frames = Date.now();
    let firstFrameMs = -1;
    const watchFirst = setInterval(() => firstFrameMs < 0 && frames.length && (firstFrameMs = Date.now() - t0Frames), 5);
    const live = await client.request(
      'restore',
      { checkpoint: join(dir, 'run'), image, task: 'denoise', steps: 6, samples: 2, previews: true, progressEvery: 2 },
      undefined,
      (f) => void frames.push(f),
    );
    clearInterval(watchFirst);
    sub.dispose();
    assert.deepEqual(
      frames.map((f) => [f.step, f.steps]),
      [
        [0, 6],
        [2, 6],
        [4, 6],
      ],
    );
    assert.equal(new Set(frames.map((f) => f.token)).size, 1, "one token, the request's");
    assert.equal(others.length, 3, 'subscribers see the same notifications');
    assert.match(frames[0]!.image, /^data:image\/png;base64,/);
    assert.equal(live.previews!.samples.length, 2);
    assert.equal(live.out, undefined);
    t.diagnostic(`first restore/progress frame ${firstFrameMs} ms after the request (28x28, warm sidecar)`);
    const out = join(dir, 'restored.png');
    const cancel = new AbortController();
    const pending = client.request('restore', { checkpoint: join(dir, 'run'), image, task: 'denoise', out, steps: 10_000 }, cancel.signal);
    await new Promise((r) => setTimeout(r, 1500));
    cancel.abort();
    await assert.rejects(pending, RequestCancelledError);
    // The sidecar's loop itself stops (it logs so), not just the client's wait.
    const t0 = Date.now();
    while (!logs.some((l) => /^restore: Restoration was cancelled\.$/.test(l))) {
      assert.ok(Date.now() - t0 < 5000, `no cancellation log from the sidecar within 5 s: ${logs.join(' | ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal((await client.request('initialize', {})).pid, pid, 'the same sidecar keeps serving');
    assert.equal(existsSync(out), false, 'a cancelled restoration writes no file');
    await assert.rejects(client.request('initialize', {}, AbortSignal.abort()), RequestCancelledError, 'an already aborted signal sends nothing');
  } finally {
    await client.dispose();
  }
});

/**
 * The real sidecar process over JSON-RPC 2.0 on stdio: initialize, validate a config,
 * train a tiny run with progress notifications, pause / resume / stop it, list runs,
 * sample; bad requests come back as JSON-RPC errors and the process keeps serving.
 */
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { JSONRPCClient, JSONRPCServer, JSONRPCServerAndClient } from 'json-rpc-2.0';
import type { Methods, Notifications } from '../../sidecar/protocol.ts';
import { repoRoot, tempDir } from '../helpers.ts';

const child = spawn(process.execPath, [join(repoRoot, 'dist', 'sidecar.js')], { stdio: ['pipe', 'pipe', 'pipe'] });
let stderr = '';
child.stderr.on('data', (d) => (stderr += String(d)));
const server = new JSONRPCServer();
const peer = new JSONRPCServerAndClient(
  server,
  new JSONRPCClient((payload) => {
    child.stdin.write(JSON.stringify(payload) + '\n');
    return Promise.resolve();
  }),
);
interface RawAnswer {
  id: string | null;
  error: { code: number; message: string };
}
let rawWaiter: ((m: RawAnswer) => void) | undefined;
createInterface({ input: child.stdout }).on('line', (line) => {
  const msg = JSON.parse(line) as RawAnswer;
  // Answers to raw lines the test writes itself (ids "raw-…", or null) are not the client's.
  if (msg.id === null || (typeof msg.id === 'string' && msg.id.startsWith('raw-'))) return rawWaiter?.(msg);
  void peer.receiveAndSend(msg as never, undefined, undefined);
});

/** The next `k` answers to raw lines, in order. */
function rawAnswers(k: number): Promise<RawAnswer[]> {
  const got: RawAnswer[] = [];
  return new Promise((resolve) => {
    rawWaiter = (m) => {
      got.push(m);
      if (got.length === k) resolve(got);
    };
  });
}

const received: { name: string; params: unknown }[] = [];
for (const name of ['train/progress', 'train/samples', 'train/checkpoint', 'train/finished', 'log'] as const) {
  server.addMethod(name, (params) => {
    received.push({ name, params });
  });
}

function call<M extends keyof Methods>(name: M, params: Methods[M]['params'] | Record<string, unknown>): Promise<Methods[M]['result']> {
  return peer.request(name, params as never, undefined) as Promise<Methods[M]['result']>;
}

async function callError(name: string, params: unknown): Promise<{ code: number; message: string; data?: { kind?: string; diagnostics?: unknown[] } }> {
  try {
    await peer.request(name, params as never, undefined);
  } catch (err) {
    const e = err as { code: number; message: string; data?: { kind?: string; diagnostics?: unknown[] } };
    return { code: e.code, message: e.message, data: e.data };
  }
  throw new Error(`${name} should have failed`);
}

function waitFor<N extends keyof Notifications>(name: N, pred: (p: Notifications[N]) => boolean, timeoutMs = 60_000): Promise<Notifications[N]> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const timer = setInterval(() => {
      const hit = received.find((r) => r.name === name && pred(r.params as Notifications[N]));
      if (hit) {
        clearInterval(timer);
        resolve(hit.params as Notifications[N]);
      } else if (Date.now() - t0 > timeoutMs) {
        clearInterval(timer);
        reject(new Error(`no ${name} notification within ${timeoutMs} ms; sidecar stderr:\n${stderr.slice(-2000)}`));
      }
    }, 20);
  });
}

after(() => {
  child.stdin.end();
});

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
    logging: { every: 5, sampleEvery: 50, checkpointEvery: 50, sampleCount: 4 },
  }),
);

test('initialize reports the protocol version and the backend', async () => {
  const r = await call('initialize', {});
  assert.equal(r.protocolVersion, 1);
  // The backend this machine selects: the first attempt that worked (WASM here; tfjs-node where it installs).
  assert.equal(r.backend.backend, r.backend.attempts.find((x: { ok: boolean }) => x.ok)!.name);
  assert.equal(r.pid, child.pid);
});

test('config/validate returns located diagnostics', async () => {
  const bad = await call('config/validate', { text: '{\n  "data": {"kind": "mnist"},\n  "seed": -1\n}', baseDir: dir });
  assert.equal(bad.ok, false);
  assert.ok(bad.diagnostics.some((d) => d.field === 'seed' && d.line === 3 && /must be >= 0/.test(d.message)));
  assert.equal((await call('config/validate', { text: '{"data": {"kind": "mnist"}}', baseDir: dir })).ok, true);
});

test('train: progress notifications, pause, resume, stop; the run folder is complete', async () => {
  const runDir = join(dir, 'run');
  const { runId } = await call('train/start', { configPath: config, runDir });
  const first = await waitFor('train/progress', (p) => p.runId === runId);
  assert.equal(typeof first.metrics.rec, 'number');
  assert.equal(first.total, 100000);
  assert.equal((await callError('train/start', { configPath: config, runDir: join(dir, 'other') })).code, -32003, 'one run at a time');
  await call('train/pause', { runId });
  await new Promise((r) => setTimeout(r, 300));
  const count = received.filter((r) => r.name === 'train/progress').length;
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(received.filter((r) => r.name === 'train/progress').length <= count + 1, 'no progress while paused');
  await call('train/resume', { runId });
  await waitFor('train/samples', (p) => p.runId === runId);
  await call('train/stop', { runId });
  const done = await waitFor('train/finished', (p) => p.runId === runId);
  assert.equal(done.status, 'stopped');
  for (const f of ['config.json', 'metrics.jsonl', 'status.json', 'checkpoints/latest']) assert.ok(existsSync(join(runDir, f)), f);
  const { runs } = await call('runs/list', { dir });
  const run = runs.find((r) => r.runDir === runDir)!;
  assert.equal(run.status, 'stopped');
  assert.equal(run.iteration, done.iteration);
  assert.ok(run.checkpoints.length >= 1);
  // What a reopened dashboard replays, read by the sidecar from the folder.
  const snap = await call('runs/read', { runDir });
  assert.equal(snap.status, 'stopped');
  assert.equal(snap.records[snap.records.length - 1]!.iteration <= done.iteration, true);
  assert.ok(snap.records.length >= 1 && snap.samples.some((x) => x.kind === 'one-step' && existsSync(x.file)));
  assert.ok(!existsSync(join(runDir, 'run.lock')), 'the writer lock is released when the run ends');
  const s = await call('sample', { checkpoint: runDir, out: join(dir, 'grid.png'), n: 16 });
  assert.equal(s.iteration, done.iteration);
  assert.ok(existsSync(join(dir, 'grid.png')));
  // A flow prior fitted post hoc on the stopped run: a new run folder, its progress in the log.
  const fitted = await call('prior/fit', { source: runDir, iterations: 100, batchSize: 64 });
  assert.equal(fitted.runDir, join(dir, 'toy-flowprior'));
  assert.ok(Number.isFinite(fitted.heldOutNll) && fitted.step === 100);
  assert.ok(received.some((r) => r.name === 'log' && /fitting a RealNVP prior/.test((r.params as { message: string }).message)));
  assert.ok((await call('runs/list', { dir })).runs.some((r) => r.runDir === fitted.runDir && r.status === 'finished'));
  const again = await callError('prior/fit', { source: fitted.runDir });
  assert.equal(again.code, -32602);
  assert.equal(again.data?.kind, 'run');
  assert.match(again.message, /already has a flow prior/);
});

test('bad requests get JSON-RPC errors with clear messages, and the sidecar keeps serving', async () => {
  assert.equal((await callError('train/frobnicate', {})).code, -32601);
  const missing = await callError('train/start', {});
  assert.equal(missing.code, -32602);
  assert.match(missing.message, /missing required param "configPath"/);
  const typed = await callError('sample', { checkpoint: 3, out: 'x.png' });
  assert.match(typed.message, /param "checkpoint" must be a string/);
  assert.match((await callError('runs/list', { dir: dir, extra: 1 })).message, /runs\/list: unknown param "extra"/);
  // Limits from schemas/ecvae-protocol.schema.json, naming the param and the value.
  for (const [n, why] of [
    [0, 'must be >= 1'],
    [-3, 'must be >= 1'],
    [1.5, 'must be an integer'],
    [1e7, 'must be <= 10000'],
  ] as const) {
    const e = await callError('sample', { checkpoint: dir, out: join(dir, 'x.png'), n });
    assert.equal(e.code, -32602);
    assert.equal(e.message, `sample: param "n" ${why} (got ${n}).`);
  }
  assert.match((await callError('train/start', { configPath: config, iterations: -5 })).message, /param "iterations" must be >= 1 \(got -5\)/);
  assert.match(
    (await callError('restore', { checkpoint: dir, image: 'x.png', task: 'inpaint', out: 'y.png', steps: 0 })).message,
    /param "steps" must be >= 1/,
  );
  const nf = await callError('train/stop', { runId: 'run-999' });
  assert.equal(nf.code, -32001);
  assert.equal(nf.data?.kind, 'run');
  assert.match(nf.message, /No active run "run-999"/);
  const cfg = await callError('train/start', { configPath: join(dir, 'nope.ecvae.json') });
  assert.equal(cfg.code, -32002);
  assert.equal(cfg.data?.kind, 'config');
  assert.equal(cfg.data?.diagnostics?.length, 1, 'the diagnostics come with the error, located');
  assert.match(cfg.message, /Cannot read config .*nope\.ecvae\.json: file not found/);
  const ck = await callError('sample', { checkpoint: join(dir, 'nothing'), out: join(dir, 'x.png') });
  assert.match(ck.message, /No such checkpoint or run folder/);
  const noRun = await callError('runs/read', { runDir: join(dir, 'nothing') });
  assert.equal(noRun.code, -32001);
  assert.match(noRun.message, /No run folder at .*nothing/);
  const task = await callError('restore', { checkpoint: join(dir, 'run'), image: 'x.png', task: 'sharpen', out: 'y.png' });
  assert.equal(task.code, -32602);
  // Lines that are not requests each get their JSON-RPC answer, and the sidecar keeps serving.
  const answers = rawAnswers(4);
  child.stdin.write('this is not json\n');
  child.stdin.write('{"id": "raw-7", "method": "initialize", "params": {}}\n');
  child.stdin.write('[]\n');
  child.stdin.write('{"jsonrpc": "2.0", "id": "raw-9", "method": "initialize", "params": 3}\n');
  assert.deepEqual(
    (await answers).map((a) => [a.id, a.error.code, a.error.message]),
    [
      [null, -32700, 'Parse error: each line must be one JSON-RPC message.'],
      ['raw-7', -32600, 'Invalid request: the "jsonrpc" member must be "2.0".'],
      [null, -32600, 'Invalid request: an empty batch.'],
      ['raw-9', -32600, 'Invalid request: the "params" member must be an object or an array.'],
    ],
  );
  assert.equal((await call('initialize', {})).protocolVersion, 1);
});

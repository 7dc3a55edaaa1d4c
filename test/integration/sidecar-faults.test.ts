/**
 * The sidecar process under faults while it trains: lines that are not requests do not
 * end it (or the run), and SIGTERM / SIGINT / SIGHUP stop the run after its current
 * iteration with a checkpoint and a "stopped" status, then exit within 10 s.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot, tempDir } from '../helpers.ts';

interface Sidecar {
  child: ChildProcessWithoutNullStreams;
  messages: { id?: unknown; method?: string; error?: { code: number } }[];
  exited: Promise<{ code: number | null; signal: string | null }>;
}

function startSidecar(): Sidecar {
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'sidecar.js')], { stdio: ['pipe', 'pipe', 'pipe'] });
  const messages: Sidecar['messages'] = [];
  createInterface({ input: child.stdout }).on('line', (l) => messages.push(JSON.parse(l)));
  child.stderr.resume();
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return { child, messages, exited };
}

async function until(what: string, f: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!f()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function toyConfig(dir: string): string {
  const file = join(dir, 'toy.ecvae.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'toy',
      data: { kind: 'gaussians25', count: 2000 },
      model: { hidden: 16, depth: 2, latentDim: 2 },
      training: { iterations: 1000000, batchSize: 32 },
      calibration: { sgldSteps: 2 },
      logging: { every: 5, sampleEvery: 1000000, checkpointEvery: 1000000 },
    }),
  );
  return file;
}

const progress = (s: Sidecar): number => s.messages.filter((m) => m.method === 'train/progress').length;

test('lines that are not requests, sent while a run trains, get their errors and the run goes on', async () => {
  const dir = tempDir();
  const s = startSidecar();
  s.child.stdin.write(
    JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'train/start', params: { configPath: toyConfig(dir), runDir: join(dir, 'run') } }) + '\n',
  );
  await until('training progress', () => progress(s) >= 2);
  for (const line of [
    '{"id": 1, "method": "train/stop"}',
    'null',
    '42',
    '"x"',
    '{"jsonrpc": "2.0", "method": 7}',
    '{"jsonrpc": "2.0", "result": 1, "id": 3}',
    '{"jsonrpc":',
  ]) {
    s.child.stdin.write(line + '\n');
  }
  const before = progress(s);
  await until('more progress after the bad lines', () => progress(s) >= before + 3);
  const codes = s.messages.filter((m) => m.error).map((m) => m.error!.code);
  assert.deepEqual(codes, [-32600, -32600, -32600, -32600, -32600, -32600, -32700]);
  assert.equal(s.child.exitCode, null, 'still running');
  s.child.stdin.end();
  assert.deepEqual(await s.exited, { code: 0, signal: null }, 'stdin EOF: stops the run and exits');
  assert.equal(JSON.parse(readFileSync(join(dir, 'run', 'status.json'), 'utf8')).status, 'stopped');
});

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  test(`${signal} while training: the run stops after its iteration with a checkpoint, the sidecar exits within 10 s`, async () => {
    const dir = tempDir();
    const s = startSidecar();
    s.child.stdin.write(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'train/start', params: { configPath: toyConfig(dir), runDir: join(dir, 'run') } }) + '\n',
    );
    await until('training progress', () => progress(s) >= 2);
    const t0 = Date.now();
    s.child.kill(signal);
    assert.deepEqual(await s.exited, { code: 0, signal: null });
    assert.ok(Date.now() - t0 < 10_000, `exited after ${Date.now() - t0} ms`);
    const status = JSON.parse(readFileSync(join(dir, 'run', 'status.json'), 'utf8')) as { status: string; iteration: number };
    assert.equal(status.status, 'stopped');
    assert.ok(status.iteration > 0);
    assert.ok(existsSync(join(dir, 'run', 'checkpoints', `iter-${String(status.iteration).padStart(6, '0')}.ckpt`)), 'a checkpoint at the stopping iteration');
    assert.ok(!existsSync(join(dir, 'run', 'run.lock')), 'the lock is released');
  });
}

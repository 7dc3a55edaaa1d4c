/**
 * The `ecvae` CLI end to end (built bundle): train -> sample, --json contracts, error
 * messages and exit codes, and resume after SIGKILL reproducing an uninterrupted run.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { cli, lastJson, repoRoot, tempDir } from '../helpers.ts';

const toy = (iterations: number, extra: Record<string, unknown> = {}) => ({
  name: 'toy',
  seed: 3,
  data: { kind: 'gaussians25', count: 2000 },
  model: { kind: 'mlp', hidden: 16, depth: 2, latentDim: 2 },
  training: { iterations, batchSize: 32 },
  calibration: { sgldSteps: 3, sgldStepSize: 0.001 },
  logging: { every: 5, sampleEvery: 1000, checkpointEvery: 10, sampleCount: 4 },
  ...extra,
});

function writeConfig(dir: string, cfg: object, name = 'c.ecvae.json'): string {
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify(cfg, null, 2));
  return f;
}

const metricsOf = (runDir: string) =>
  readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>);

test('ecvae info --json names the backend and why the others were not used', () => {
  const r = cli(['info', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const j = lastJson(r.stdout);
  assert.equal(j.ok, true);
  const attempts = j.attempts as { name: string; ok: boolean; detail: string }[];
  // Whatever this machine has: the first backend that works is used, each one before it says why not.
  const used = attempts.findIndex((a) => a.ok);
  assert.equal(j.backend, attempts[used]!.name);
  for (const a of attempts.slice(0, used)) assert.ok(!a.ok && a.detail.length > 0, JSON.stringify(a));
  const native = attempts.find((a) => a.name === 'tensorflow')!;
  assert.ok(native.ok || /not installed|failed|cannot/i.test(native.detail), native.detail);
  // WebGPU (Dawn) is installed but finds no adapter on a machine without a GPU: selection falls through.
  const webgpu = attempts.find((a) => a.name === 'webgpu')!;
  assert.ok(webgpu.ok || /no WebGPU adapter|not installed/.test(webgpu.detail), webgpu.detail);
  if (!webgpu.ok) {
    const forcedGpu = cli(['info', '--json', '--backend', 'webgpu']);
    assert.equal(forcedGpu.status, 2, "a backend asked for by name is the user's to change: exit 2 with a kind");
    assert.equal(lastJson(forcedGpu.stdout).kind, 'request');
    assert.match(String(lastJson(forcedGpu.stdout).error), /Backend "webgpu" is not available here: .*Use "backend": "auto"/);
  }
  const forced = lastJson(cli(['info', '--json', '--backend', 'cpu']).stdout);
  assert.equal(forced.backend, 'cpu');
  assert.match(String(forced.reason), /forced/);
});

test('train --json then sample --json: run folder layout and a PNG grid', () => {
  const dir = tempDir();
  const cfg = writeConfig(dir, toy(20));
  const r = cli(['train', cfg, '--out', join(dir, 'run'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const j = lastJson(r.stdout);
  assert.equal(j.ok, true);
  assert.equal(j.runDir, join(dir, 'run'));
  assert.equal(j.iteration, 20);
  assert.equal(j.status, 'finished');
  for (const f of ['config.json', 'metrics.jsonl', 'status.json', 'checkpoints/latest', 'checkpoints/iter-000020.ckpt', 'samples/iter-000020.png']) {
    assert.ok(existsSync(join(dir, 'run', f)), `${f} exists`);
  }
  assert.deepEqual(
    metricsOf(join(dir, 'run')).map((m) => m.iteration),
    [5, 10, 15, 20],
  );
  const out = join(dir, 'grid.png');
  const s = cli(['sample', join(dir, 'run'), '--out', out, '--n', '50', '--mcmc-steps', '2', '--json']);
  assert.equal(s.status, 0, s.stderr);
  const sj = lastJson(s.stdout);
  assert.equal(sj.n, 50);
  assert.ok((sj.secondsPerImage as { oneStep: number; mcmc: number }).mcmc > 0);
  const png = PNG.sync.read(readFileSync(out));
  assert.ok(png.width > 0 && png.height > 0);
  // A second train into the same folder must not silently overwrite it.
  const again = cli(['train', cfg, '--out', join(dir, 'run'), '--json']);
  assert.equal(again.status, 2, 'a user error (runLayout/errors.ts): exit 2');
  assert.equal(lastJson(again.stdout).kind, 'run');
  assert.match(String(lastJson(again.stdout).error), /already has checkpoints. Use --resume/);
});

test('the bundled toy example trains (its first 200 of 3000 iterations) and its run samples', () => {
  // The whole example is long (npm run demo runs it, twice over); CI checks that it runs.
  const dir = tempDir();
  const r = cli(['train', join(repoRoot, 'examples', 'toy-25gaussians.ecvae.json'), '--out', join(dir, 'toy'), '--iterations', '200', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const j = lastJson(r.stdout);
  assert.equal(j.status, 'finished');
  assert.equal(j.iteration, 200);
  assert.ok((j.secPerIter as number) > 0);
  const s = cli(['sample', String(j.runDir), '--out', join(dir, 'grid.png'), '--json']);
  assert.equal(s.status, 0, s.stderr);
  assert.ok(existsSync(join(dir, 'grid.png')));
});

test('bad inputs: config errors with file:line:column (exit 2), usage errors, missing checkpoints', () => {
  const dir = tempDir();
  const bad = join(dir, 'bad.ecvae.json');
  writeFileSync(bad, '{\n  "data": {"kind": "mnist"},\n  "training": {"batchSize": -3}\n}\n');
  const r = cli(['train', bad, '--json']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /bad\.ecvae\.json:3:\d+: error: "training\.batchSize" must be >= 1/);
  assert.equal(lastJson(r.stdout).ok, false);
  const usage = cli(['frobnicate']);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /unknown command 'frobnicate'/);
  assert.equal(cli(['train', bad, '--iterations', 'many']).status, 2);
  const noCk = cli(['sample', join(dir, 'nothing'), '--out', join(dir, 'x.png'), '--json']);
  assert.equal(noCk.status, 2);
  assert.equal(lastJson(noCk.stdout).kind, 'checkpoint');
  assert.doesNotMatch(noCk.stderr, /Usage:/, 'no usage text for a bad file: only for bad usage');
  assert.match(String(lastJson(noCk.stdout).error), /No such checkpoint or run folder/);
  const noOut = cli(['sample', join(dir, 'nothing')]);
  assert.equal(noOut.status, 2);
  assert.match(noOut.stderr, /required option '--out <file>' not specified/);
});

test('a plain VAE (calibration.enabled false) trains, and MCMC sampling from it is refused clearly', () => {
  const dir = tempDir();
  const cfg = writeConfig(dir, toy(10, { calibration: { enabled: false } }));
  const r = cli(['train', cfg, '--out', join(dir, 'run'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((lastJson(r.stdout).metrics as Record<string, unknown>).cal, undefined);
  const s = cli(['sample', join(dir, 'run'), '--out', join(dir, 'g.png'), '--mcmc-steps', '3', '--json']);
  assert.equal(s.status, 2);
  assert.match(String(lastJson(s.stdout).error), /needs an energy model, but .* is a plain VAE/);
});

test('resume after SIGKILL continues from the last checkpoint and reproduces the uninterrupted run', async () => {
  const dir = tempDir();
  const total = 300;
  const cfg = writeConfig(dir, toy(total));
  const reference = cli(['train', cfg, '--out', join(dir, 'ref'), '--json']);
  assert.equal(reference.status, 0, reference.stderr);

  const runDir = join(dir, 'killed');
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'ecvae.js'), 'train', cfg, '--out', runDir, '--json'], { stdio: 'ignore' });
  const latest = join(runDir, 'checkpoints', 'latest');
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (existsSync(latest) && /iter-0000[4-9]0|iter-000[1-9]/.test(readFileSync(latest, 'utf8'))) {
        clearInterval(timer);
        child.kill('SIGKILL');
        resolve();
      }
    }, 20);
    child.on('exit', () => {
      clearInterval(timer);
      reject(new Error('the run finished before it could be killed; make it longer'));
    });
  });
  await new Promise((r) => child.on('exit', r));
  const killedAt = Number(/iter-(\d+)/.exec(readFileSync(latest, 'utf8'))![1]);
  assert.ok(killedAt < total, 'killed mid-run');
  assert.equal(JSON.parse(readFileSync(join(runDir, 'status.json'), 'utf8')).status, 'running', 'a killed run is left marked running');

  const resumed = cli(['train', cfg, '--out', runDir, '--resume', '--json']);
  assert.equal(resumed.status, 0, resumed.stderr);
  const j = lastJson(resumed.stdout);
  assert.ok((j.resumedFrom as number) >= killedAt, `resumed from ${j.resumedFrom}, last checkpoint seen ${killedAt}`);
  assert.equal(j.iteration, total);

  const got = metricsOf(runDir);
  const want = metricsOf(join(dir, 'ref'));
  assert.deepEqual(
    got.map((m) => m.iteration),
    want.map((m) => m.iteration),
    'one metrics line per logged iteration, no gaps or duplicates',
  );
  for (let i = 0; i < want.length; i++) {
    for (const k of ['rec', 'kl', 'cal', 'eData', 'eNeg', 'lambda']) {
      assert.ok(
        Math.abs(got[i]![k]! - want[i]![k]!) <= 1e-6 * Math.max(1, Math.abs(want[i]![k]!)),
        `iteration ${want[i]!.iteration} ${k}: resumed ${got[i]![k]} vs uninterrupted ${want[i]![k]}`,
      );
    }
  }
});

/**
 * Kill -9 in the middle of sampling and restoration: an output file is either the old
 * one or the complete new one (atomic writes), never torn, at several kill points.
 * (Training under SIGKILL and resume: cli.test.ts; SIGTERM/SIGINT/SIGHUP of the sidecar:
 * sidecar-faults.test.ts; two writers and stale locks: runFolder.test.ts; disk full:
 * checkpoint.test.ts; the sidecar killed while the extension waits: sidecar-client.test.ts.)
 */
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { encodePng } from '../../sidecar/engine/data/images.ts';
import { cli, repoRoot, tempDir } from '../helpers.ts';

const dir = tempDir();
const run = join(dir, 'run');
const OLD = encodePng(new Float32Array(4 * 4).fill(0.5), 4, 4, 1);

before(() => {
  writeFileSync(
    join(dir, 'c.ecvae.json'),
    JSON.stringify({
      data: { kind: 'mnist', limit: 64 },
      model: { kind: 'conv', width: 4, latentDim: 4, ebmHidden: 8 },
      training: { iterations: 4, batchSize: 16 },
      calibration: { sgldSteps: 1 },
      logging: { every: 2, sampleEvery: 100, checkpointEvery: 4 },
    }),
  );
  assert.equal(cli(['train', join(dir, 'c.ecvae.json'), '--out', run, '--json']).status, 0);
  writeFileSync(join(dir, 'digit.png'), encodePng(new Float32Array(28 * 28).fill(-0.2), 28, 28, 1));
});

/** Runs the CLI and kills it with SIGKILL after `ms`; resolves when it is gone. */
function killedAfter(args: string[], ms: number): Promise<void> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'ecvae.js'), ...args], { stdio: 'ignore' });
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  return new Promise((resolve) =>
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    }),
  );
}

/** The file is the old picture or a complete new PNG: decodes, and is not the 4x4 one only if complete. */
function intactPng(file: string): 'old' | 'new' {
  const bytes = readFileSync(file);
  if (bytes.equals(OLD)) return 'old';
  const png = PNG.sync.read(bytes); // throws on a torn file
  assert.ok(png.width > 4);
  return 'new';
}

for (const [what, args] of [
  ['sampling', (out: string) => ['sample', run, '--n', '10000', '--out', out]],
  ['restoration', (out: string) => ['restore', run, join(dir, 'digit.png'), '--task', 'denoise', '--steps', '3000', '--out', out]],
] as const) {
  test(`SIGKILL during ${what} at several points leaves the previous output or the complete new one`, async () => {
    const seen = new Set<string>();
    for (const ms of [150, 600, 1500, 4000]) {
      const out = join(dir, `${what}-${ms}.png`);
      writeFileSync(out, OLD);
      await killedAfter(args(out), ms);
      seen.add(intactPng(out));
    }
    assert.ok(seen.has('old'), `${what}: an early kill leaves the previous file`);
  });
}

/** Shared test utilities: backend set-up, tolerances, temp folders, CLI runs. */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'node:assert/strict';
import * as tf from '../sidecar/engine/core/tf.ts';
import { withoutEmscriptenHandlers } from '../sidecar/engine/core/backend.ts';
import { normalStream } from '../sidecar/engine/core/rng.ts';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

export async function useBackend(name: 'wasm' | 'cpu'): Promise<void> {
  await withoutEmscriptenHandlers(async () => {
    assert.ok(await tf.setBackend(name), `backend ${name} must start`);
    await tf.ready();
  });
}

export function tempDir(prefix = 'ecvae-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what = 'values'): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!,
      e = expected[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      assert.fail(`${what}[${i}]: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
    }
  }
}

export const repoRoot = join(import.meta.dirname, '..');

/** Runs the built CLI (dist/) synchronously. */
export function cli(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [join(repoRoot, 'bin', 'ecvae.js'), ...args], {
    cwd: opts.cwd ?? repoRoot,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 300_000,
  });
}

/** The one JSON object a `--json` command prints on its last stdout line. */
export function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

/** A fully defaulted config from a partial one (tests only). */
export { withDefaults } from '../sidecar/engine/config/config.ts';

/** Tiny image config (8x8x1 folder-free: uses MNIST shape via model only in unit tests). */
export const tinyConv = { size: 8, channels: 1, width: 2, levels: 2, latentDim: 3, ebmHidden: 4, temperature: 1 };

/** A tensor of N(0, scale²) values from a seeded stream (the same on every backend). */
export function randomTensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  const g = normalStream(seed);
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * g()),
    shape,
  );
}

/** Largest error relative to the scale of `want`: Winograd F(4,3) in float32 is good to ~1e-5 of it. */
export function relativeError(got: tf.Tensor, want: tf.Tensor): number {
  return tf.tidy(() => got.sub(want).abs().max().div(want.abs().max()).dataSync()[0]!);
}

/**
 * Finite-difference gradient checks shared by the gradient tests: a directional
 * derivative by central differences against <grad, direction>.
 */
import * as assert from 'node:assert/strict';
import * as tf from '../sidecar/engine/core/tf.ts';
import { isBufferName, valueAndParamGrads, type Params } from '../sidecar/engine/core/params.ts';
import { normalStream } from '../sidecar/engine/core/rng.ts';

export const randT = (shape: number[], seed: number, scale = 1): tf.Tensor => {
  const g = normalStream(seed);
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * g()),
    shape,
  );
};

/**
 * Checks d/dh loss(p + h·v) at h=0 against <grad, v> for a random unit direction v over
 * all parameters. Leaky-ReLU kinks make larger steps unreliable (a pre-activation within
 * h·|v·input| of 0 flips slope), so v is normalised and h kept small.
 */
export function checkDirectional(p: Params, loss: (q: Params) => tf.Scalar, what: string, seed = 1, fixed: ReadonlySet<string> = new Set()): void {
  // Fixed tensors (Fourier frequencies) and buffers get a zero gradient by design: move only the others.
  const names = Object.keys(p).filter((n) => !fixed.has(n) && !isBufferName(n));
  const { grads } = valueAndParamGrads(p, loss);
  const raw: Params = Object.fromEntries(names.map((n, i) => [n, randT(p[n]!.shape, seed + i)]));
  const norm = Math.sqrt(names.reduce((s, n) => s + raw[n]!.square().sum().dataSync()[0]!, 0));
  const dir: Params = Object.fromEntries(names.map((n) => [n, raw[n]!.div(norm)]));
  const analytic = names.reduce((s, n) => s + (grads[n]!.mul(dir[n]!).sum().dataSync()[0] as number), 0);
  const at = (h: number): number => tf.tidy(() => loss({ ...p, ...Object.fromEntries(names.map((n) => [n, p[n]!.add(dir[n]!.mul(h))])) }).dataSync()[0]!);
  const h = 2e-3;
  const numeric = (at(h) - at(-h)) / (2 * h);
  const err = Math.abs(numeric - analytic);
  assert.ok(err < 2e-2 * Math.max(Math.abs(analytic), Math.abs(numeric)) + 5e-3, `${what}: analytic ${analytic} vs finite difference ${numeric}`);
}

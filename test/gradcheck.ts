/**
 * Finite-difference gradient checks shared by the gradient tests: a directional
 * derivative by central differences against <grad, direction>.
 */
import * as assert from 'node:assert/strict';
import * as tf from '../sidecar/engine/core/tf.ts';
import { isBufferName, valueAndParamGrads, type ParamSpec, type Params } from '../sidecar/engine/core/params.ts';
import { normalStream } from '../sidecar/engine/core/rng.ts';
import { applyBufferUpdates, collectBufferUpdates } from '../sidecar/engine/models/buffers.ts';

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

/**
 * Runs training passes of `f` on `p` until spectral norm's power iteration has settled
 * (its u vectors and BatchNorm statistics updated in place), as they are after a few
 * training steps. The analytic gradient treats u and v as constants (torch's
 * spectral_norm); a finite difference on unsettled vectors also moves them with the
 * weights and measures something else.
 */
export function settleBuffers(p: Params, f: (q: Params) => tf.Tensor, passes = 30): void {
  for (let i = 0; i < passes; i++) {
    const { result, updates } = collectBufferUpdates(() => tf.tidy(() => f(p)));
    result.dispose();
    applyBufferUpdates(p, updates);
  }
}

/**
 * The specs with a uniform init of bound 1/sqrt(inputs per output) for every weight, in
 * place of the small ones some official layers have (N(0, 0.02²) in models/res.py, a
 * transposed conv's bound from its output fan): the point finite differences are taken
 * at. Gradients do not depend on the init, but at weights that small a step that float32
 * can resolve moves BatchNorm-ed ReLU pre-activations (and spectrally normalised weights,
 * whose derivative scales with 1/|W|) so far that the difference stops approximating the
 * derivative (it changes sign with the step size).
 */
export function defaultInit(specs: ParamSpec[]): ParamSpec[] {
  return specs.map((s) => {
    if (isBufferName(s.name) || s.init !== undefined || s.fixed) return s;
    const { normalStd: _, ...rest } = s;
    const cout = s.shape[s.shape.length - 1]!;
    return { ...rest, fanIn: s.shape.length > 1 ? s.shape.reduce((a, b) => a * b, 1) / cout : s.fanIn };
  });
}

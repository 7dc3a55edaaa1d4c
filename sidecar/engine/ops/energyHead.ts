/**
 * The convolutional energy model's head (models/conv.ts; the SGLD chains differentiate it
 * every step) as one op, its forward pass and its gradient with respect to h each one
 * WASM kernel (kernels/assembly/head.ts):
 *   e = (lrelu(z)·W2 + b2) / tau,  z = mean_hw(lrelu(h))·W1 + b1     h: the last feature map [B,H,W,C]
 * The weights' gradients (the energy update) are composed TF.js ops from the saved z.
 * Why: TF.js ran ~25 small kernels for the head per SGLD step, each with its own dispatch
 * cost. Elsewhere (other backends, sizes that are not multiples of 4) the model composes
 * the layers.
 */
import * as tf from '../core/tf.ts';
import { registerGradientOnce } from './policy.ts';
import { offsetOf, ourKernelsAvailable, registerWasmKernel, withTables } from './wasmKernels.ts';

const FORWARD = 'EcvaeEnergyHead';
const BACKWARD = 'EcvaeEnergyHeadInputGrad';

export interface HeadWeights {
  w1: tf.Tensor2D;
  b1: tf.Tensor1D;
  w2: tf.Tensor2D;
  b2: tf.Tensor1D;
  /** lrelu's slope below 0. */
  leak: number;
  temperature: number;
}

function register(): void {
  if (tf.getKernel(FORWARD, 'wasm')) return;
  registerWasmKernel(FORWARD, ({ h, w1, b1, w2, b2 }, attrs, b, k) => {
    const [n, hh, ww, c] = h!.shape as [number, number, number, number];
    const hidden = w1!.shape[1]!;
    const e = b.makeOutput([n], 'float32'),
      z = b.makeOutput([n, hidden], 'float32');
    const at = (t: tf.TensorInfo): number => offsetOf(b, t);
    withTables(b, [], 4 * c, (_, scratch) =>
      k.headForward(
        at(h!),
        n,
        hh * ww,
        c,
        at(w1!),
        at(b1!),
        hidden,
        at(w2!),
        at(b2!),
        attrs.leak as number,
        1 / (attrs.temperature as number),
        at(e),
        at(z),
        scratch,
      ),
    );
    return [e, z];
  });
  registerWasmKernel(BACKWARD, ({ h, z, de, w1, w2 }, attrs, b, k) => {
    const [n, hh, ww, c] = h!.shape as [number, number, number, number];
    const hidden = w1!.shape[1]!;
    const dh = b.makeOutput(h!.shape, 'float32');
    const at = (t: tf.TensorInfo): number => offsetOf(b, t);
    withTables(b, [], 4 * (c + hidden), (_, scratch) =>
      k.headBackward(
        at(h!),
        at(z!),
        at(de!),
        n,
        hh * ww,
        c,
        at(w1!),
        hidden,
        at(w2!),
        attrs.leak as number,
        1 / (attrs.temperature as number),
        at(dh),
        scratch,
      ),
    );
    return dh;
  });
}

/** Whether the fused head runs here for features [B,H,W,C] and these weights. */
export function fusedHeadSuits(h: tf.Tensor4D, w: HeadWeights): boolean {
  const [c, hidden] = w.w1.shape;
  const shapesFit = h.shape[3] === c && c % 4 === 0 && hidden % 4 === 0 && w.w2.shape[0] === hidden && w.w2.shape[1] === 1;
  return shapesFit && ourKernelsAvailable();
}

interface HeadAttrs {
  leak: number;
  temperature: number;
}

// Gradient: dh by the WASM kernel; the weights' by TF.js ops, from g = dE/dz.
/** dE/dz [B,H] from de [B]: de/tau · w2ᵀ ⊙ lrelu'(z). */
function dz(de: tf.Tensor1D, z: tf.Tensor2D, w2: tf.Tensor2D, a: HeadAttrs): tf.Tensor2D {
  return de
    .reshape([-1, 1])
    .matMul(w2.reshape([1, -1]))
    .mul(tf.step(z, a.leak))
    .div(a.temperature);
}
const lrelu = (t: tf.Tensor, leak: number): tf.Tensor => tf.maximum(t, t.mul(leak)); // leak < 1

/** The gradient passes of the head (an object, so that tests can count their calls). */
export const headGradients = {
  input: (de: tf.Tensor1D, h: tf.Tensor4D, z: tf.Tensor2D, w1: tf.Tensor2D, w2: tf.Tensor2D, a: HeadAttrs): tf.Tensor4D =>
    tf.engine().runKernel(BACKWARD, { h, z, de, w1, w2 }, a as unknown as tf.NamedAttrMap) as tf.Tensor4D,
  w1: (de: tf.Tensor1D, h: tf.Tensor4D, z: tf.Tensor2D, w2: tf.Tensor2D, a: HeadAttrs): tf.Tensor2D =>
    tf.matMul(lrelu(h, a.leak).mean([1, 2]) as tf.Tensor2D, dz(de, z, w2, a), true, false),
  b1: (de: tf.Tensor1D, z: tf.Tensor2D, w2: tf.Tensor2D, a: HeadAttrs): tf.Tensor1D => dz(de, z, w2, a).sum(0),
  w2: (de: tf.Tensor1D, z: tf.Tensor2D, a: HeadAttrs): tf.Tensor2D =>
    tf.matMul(lrelu(z, a.leak) as tf.Tensor2D, de.reshape([-1, 1]).div(a.temperature) as tf.Tensor2D, true, false),
  b2: (de: tf.Tensor1D, a: HeadAttrs): tf.Tensor1D => de.sum().div(a.temperature).reshape([1]),
};
registerGradientOnce({
  kernelName: FORWARD,
  inputsToSave: ['h', 'w1', 'w2'],
  outputsToSave: [false, true],
  gradFunc: (dys, [h, w1, w2, z], attrs) => {
    const de = (dys as tf.Tensor[])[0] as tf.Tensor1D;
    const a = attrs as unknown as HeadAttrs;
    const [sh, sz, sw1, sw2] = [h as tf.Tensor4D, z as tf.Tensor2D, w1 as tf.Tensor2D, w2 as tf.Tensor2D];
    return {
      h: () => headGradients.input(de, sh, sz, sw1, sw2, a),
      w1: () => headGradients.w1(de, sh, sz, sw2, a),
      b1: () => headGradients.b1(de, sz, sw2, a),
      w2: () => headGradients.w2(de, sz, a),
      b2: () => headGradients.b2(de, a),
    };
  },
});

// Op.
/** The head's energies [B] from h (where fusedHeadSuits). */
export function fusedHead(h: tf.Tensor4D, w: HeadWeights): tf.Tensor1D {
  register();
  const attrs: HeadAttrs = { leak: w.leak, temperature: w.temperature };
  const [e, z] = tf.engine().runKernel(FORWARD, { h, w1: w.w1, b1: w.b1, w2: w.w2, b2: w.b2 }, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
  z!.dispose(); // the tape keeps its own copy for the gradient
  return e as tf.Tensor1D;
}

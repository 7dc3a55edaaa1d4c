/**
 * The convolutional energy model's head with frozen weights (models/conv.ts; the SGLD
 * chains differentiate it every step), as one WASM kernel each way
 * (kernels/assembly/head.ts):
 *   e = (lrelu(mean_hw(lrelu(h))·W1 + b1)·W2 + b2) / tau        h: the last feature map [B,H,W,C]
 * and its gradient with respect to h. Why: TF.js ran ~25 small kernels for it per step,
 * each with its own dispatch cost. Elsewhere (other backends, trainable weights,
 * sizes that are not multiples of 4) the model composes the layers as before.
 */
import * as tf from '../core/tf.ts';
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

/** The head's energies [B] from h, differentiable with respect to h only (the weights are constants). */
export function fusedHead(h: tf.Tensor4D, w: HeadWeights): tf.Tensor1D {
  register();
  const attrs = { leak: w.leak, temperature: w.temperature };
  const weights = { w1: w.w1, b1: w.b1, w2: w.w2, b2: w.b2 };
  const op = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    const [e, z] = tf.engine().runKernel(FORWARD, { h: x, ...weights }, attrs) as unknown as [tf.Tensor1D, tf.Tensor2D];
    save([x, z]);
    return {
      value: e,
      gradFunc: (de: tf.Tensor, [sx, sz]: tf.Tensor[]) =>
        tf.engine().runKernel(BACKWARD, { h: sx!, z: sz!, de, w1: weights.w1, w2: weights.w2 }, attrs) as tf.Tensor,
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor4D) => tf.Tensor1D;
  return op(h);
}

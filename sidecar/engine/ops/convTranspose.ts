/**
 * Transposed 2-D convolution (NHWC; filter [k, k, Cin, Cout]: input channel ci at input
 * pixel i adds w[a, b, ci, co] to output pixel s·i + (a, b) - pad), built on conv2d so
 * that its gradients are the composed forward convolutions of conv.ts on every backend:
 *   convT(x, w) = conv(dilate(x, s) zero-padded by k-1-pad, w flipped in space)
 * The FastGAN decoder of the paper's code starts with one on a 1x1 input (the latent as
 * a 1x1 map); there every output pixel reads exactly one filter tap, so it is a matrix
 * product with the filter laid out as [Cin, k·k·Cout] (16x fewer multiplies than the
 * convolution over the zero-padded 7x7 map at k = 4).
 */
import * as tf from '../core/tf.ts';
import { conv2d, type ConvGeometry } from './conv.ts';
import { dilateSpatial } from './spatialPad.ts';
import { cachedDerived } from './filterCache.ts';
import { denseOp } from './dense.ts';

export function convTranspose2d(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, g: ConvGeometry, frozen = false): tf.Tensor4D {
  const [n, h, wd, ci] = x.shape;
  const [k, kw, wci, co] = w.shape;
  if (k !== kw || wci !== ci) throw new Error(`internal: convTranspose2d filter ${w.shape} does not fit input ${x.shape}`);
  if (g.pad > k - 1) throw new Error(`internal: convTranspose2d padding ${g.pad} exceeds kernel ${k} - 1`);
  const matrixPath = h === 1 && wd === 1 && g.pad === 0;
  const rearrange = (): tf.Tensor => (matrixPath ? w.transpose([2, 0, 1, 3]).reshape([ci, k * k * co]) : w.reverse([0, 1]));
  // A frozen op needs a weight that outlives the pass (filterCache.ts cachedDerived).
  const kept = frozen ? cachedDerived(matrixPath ? 'convT-matrix' : 'convT-flip', w, rearrange) : undefined;
  const weight = kept ?? rearrange();
  const isFrozen = kept !== undefined;
  if (matrixPath) {
    const bias = b
      .reshape([1, 1, co])
      .tile([k, k, 1])
      .reshape([k * k * co]) as tf.Tensor1D;
    return denseOp(x.reshape([n, ci]), weight as tf.Tensor2D, bias, isFrozen).reshape([n, k, k, co]);
  }
  const edge = k - 1 - g.pad;
  const spread = dilateSpatial(x, g.stride).pad([
    [0, 0],
    [edge, edge],
    [edge, edge],
    [0, 0],
  ]) as tf.Tensor4D;
  return conv2d(spread, weight as tf.Tensor4D, b, { stride: 1, pad: 0 }, isFrozen);
}

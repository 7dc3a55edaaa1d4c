/**
 * Fully connected encoder / decoder / energy model, for 2-D data (25 Gaussians) or
 * flattened images. Each network: depth x [dense, lrelu], then an output layer.
 * Optionally the energy model reads random Fourier features of x and the decoder random
 * Fourier features of z instead of the raw inputs (layers.ts `fourier`, FourierFeatures).
 */
import * as tf from '../core/tf.ts';
import type { Params } from '../core/params.ts';
import { lrelu } from './layers.ts';
import { Net } from './net.ts';
import type { EcvaeModel } from './types.ts';

/** count 0 = off: the network reads its raw input. */
export interface FourierFeatures {
  count: number;
  sigma: number;
}

export interface MlpArch {
  dataShape: number[];
  hidden: number;
  depth: number;
  latentDim: number;
  temperature: number;
  energyFourier?: FourierFeatures;
  decoderFourier?: FourierFeatures;
}

/** [Fourier features,] depth x [dense, lrelu], dense -> nout. */
function mlp(prefix: string, nin: number, hidden: number, depth: number, nout: number, ff?: FourierFeatures) {
  const net = new Net(false);
  const features = ff?.count ? net.fourier(`${prefix}.rff`, nin, ff.count, ff.sigma) : undefined;
  const first = ff?.count ? 2 * ff.count : nin;
  const layers = Array.from({ length: depth }, (_, i) => net.dense(`${prefix}.h${i}`, i === 0 ? first : hidden, hidden));
  const out = net.dense(`${prefix}.out`, hidden, nout);
  const forward = (p: Params, x: tf.Tensor2D): tf.Tensor2D => {
    let h = features ? features(p, x) : x;
    for (const layer of layers) h = lrelu(layer(p, h));
    return out(p, h);
  };
  return { specs: net.specs, forward };
}

export function mlpModel(a: MlpArch): EcvaeModel {
  const D = a.dataShape.reduce((x, y) => x * y, 1);
  const Z = a.latentDim;
  const flatten = (x: tf.Tensor): tf.Tensor2D => x.reshape([x.shape[0]!, D]);
  const enc = mlp('enc', D, a.hidden, a.depth, 2 * Z);
  const dec = mlp('dec', Z, a.hidden, a.depth, D, a.decoderFourier);
  const ebm = mlp('ebm', D, a.hidden, a.depth, 1, a.energyFourier);
  return {
    kind: 'mlp',
    dataShape: a.dataShape,
    latentDim: Z,
    specs: { enc: enc.specs, dec: dec.specs, ebm: ebm.specs },
    encode(p, x) {
      const [mu, logvar] = tf.split(enc.forward(p, flatten(x)), 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      return { mu, logvar };
    },
    decode(p, z) {
      return tf.tanh(dec.forward(p, z)).reshape([z.shape[0], ...a.dataShape]);
    },
    energy(p, x) {
      return ebm.forward(p, flatten(x)).reshape([-1]).div(a.temperature) as tf.Tensor1D;
    },
  };
}

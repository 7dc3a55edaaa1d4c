/**
 * Fully connected encoder / decoder / energy model, for 2-D data (25 Gaussians) or
 * flattened images. Each network: depth x [dense, lrelu], then an output layer.
 * Optionally the energy model reads random Fourier features of x and the decoder random
 * Fourier features of z instead of the raw inputs (layers.ts `fourier`, FourierFeatures).
 */
import * as tf from '../core/tf.ts';
import { denseSpecs, fourierSpecs, type ParamSpec, type Params } from '../core/params.ts';
import { dense, fourier, lrelu } from './layers.ts';
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

function mlpSpecs(prefix: string, nin: number, hidden: number, depth: number, nout: number, ff?: FourierFeatures): ParamSpec[] {
  const specs: ParamSpec[] = ff?.count ? fourierSpecs(`${prefix}.rff`, nin, ff.count, ff.sigma) : [];
  const first = ff?.count ? 2 * ff.count : nin;
  for (let i = 0; i < depth; i++) specs.push(...denseSpecs(`${prefix}.h${i}`, i === 0 ? first : hidden, hidden));
  specs.push(...denseSpecs(`${prefix}.out`, hidden, nout));
  return specs;
}

function mlp(p: Params, prefix: string, x: tf.Tensor2D, depth: number, ff: FourierFeatures | undefined, frozen = false): tf.Tensor2D {
  let h = ff?.count ? fourier(p, `${prefix}.rff`, x) : x;
  for (let i = 0; i < depth; i++) h = lrelu(dense(p, `${prefix}.h${i}`, h, frozen));
  return dense(p, `${prefix}.out`, h, frozen);
}

export function mlpModel(a: MlpArch): EcvaeModel {
  const D = a.dataShape.reduce((x, y) => x * y, 1);
  const Z = a.latentDim;
  const flatten = (x: tf.Tensor): tf.Tensor2D => x.reshape([x.shape[0]!, D]);
  return {
    kind: 'mlp',
    dataShape: a.dataShape,
    latentDim: Z,
    specs: {
      enc: mlpSpecs('enc', D, a.hidden, a.depth, 2 * Z),
      dec: mlpSpecs('dec', Z, a.hidden, a.depth, D, a.decoderFourier),
      ebm: mlpSpecs('ebm', D, a.hidden, a.depth, 1, a.energyFourier),
    },
    encode(p, x) {
      const [mu, logvar] = tf.split(mlp(p, 'enc', flatten(x), a.depth, undefined), 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      return { mu, logvar };
    },
    decode(p, z) {
      return tf.tanh(mlp(p, 'dec', z, a.depth, a.decoderFourier)).reshape([z.shape[0], ...a.dataShape]);
    },
    energy(p, x, frozen = false) {
      return mlp(p, 'ebm', flatten(x), a.depth, a.energyFourier, frozen).reshape([-1]).div(a.temperature) as tf.Tensor1D;
    },
  };
}

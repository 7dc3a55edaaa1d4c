/**
 * Fully connected encoder / decoder / energy model, for 2-D data (25 Gaussians) or
 * flattened images. Each network: depth x [dense, lrelu], then an output layer.
 */
import * as tf from '../tf.ts';
import { denseSpecs, type ParamSpec, type Params } from '../params.ts';
import { dense, lrelu } from './layers.ts';
import type { EcvaeModel } from './types.ts';

export interface MlpArch {
  dataShape: number[];
  hidden: number;
  depth: number;
  latentDim: number;
  temperature: number;
}

function mlpSpecs(prefix: string, nin: number, hidden: number, depth: number, nout: number): ParamSpec[] {
  const specs: ParamSpec[] = [];
  for (let i = 0; i < depth; i++) specs.push(...denseSpecs(`${prefix}.h${i}`, i === 0 ? nin : hidden, hidden));
  specs.push(...denseSpecs(`${prefix}.out`, hidden, nout));
  return specs;
}

function mlp(p: Params, prefix: string, x: tf.Tensor2D, depth: number, frozen = false): tf.Tensor2D {
  let h = x;
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
      dec: mlpSpecs('dec', Z, a.hidden, a.depth, D),
      ebm: mlpSpecs('ebm', D, a.hidden, a.depth, 1),
    },
    encode(p, x) {
      const [mu, logvar] = tf.split(mlp(p, 'enc', flatten(x), a.depth), 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      return { mu, logvar };
    },
    decode(p, z) {
      return tf.tanh(mlp(p, 'dec', z, a.depth)).reshape([z.shape[0], ...a.dataShape]);
    },
    energy(p, x, frozen = false) {
      return mlp(p, 'ebm', flatten(x), a.depth, frozen).reshape([-1]).div(a.temperature) as tf.Tensor1D;
    },
  };
}

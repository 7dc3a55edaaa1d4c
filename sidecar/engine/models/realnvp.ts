/**
 * RealNVP as the official code builds it with FrEIA (models/fastae.py build_flow):
 * `blocks` x [affine coupling block (clamp 2), fixed random permutation]. A coupling
 * block splits x into x1 (the first floor(D/2) values) and x2 and transforms both halves
 * (FrEIA's RNVPCouplingBlock):
 *   y1 = x1 · exp(s2(x2)) + t2(x2)        y2 = x2 · exp(s1(y1)) + t1(y1)
 * with the scales soft-clamped, s = clamp · 0.636 · atan(s / clamp), and
 * log|det| = sum(s2) + sum(s1). Each s and t is an MLP Linear(c, hidden) -> [BatchNorm]
 * -> ReLU -> Linear(hidden, hidden) -> [BatchNorm] -> ReLU -> Linear(hidden, c_out).
 * Our choices: the last Linear starts at zero, so a new flow is the identity (stable
 * from the first step); BatchNorm is optional (`batchNorm`), used with batch statistics
 * in training passes and running statistics otherwise, so a sample does not depend on
 * the others drawn with it.
 * `forward` maps data to the base space (where the density is N(0, I)); `inverse` samples.
 */
import * as tf from '../core/tf.ts';
import { leakyRelu } from '../ops/elementwise.ts';
import type { ParamSpec, Params } from '../core/params.ts';
import { deriveSeed, uniformStream } from '../core/rng.ts';
import { batchNorm, batchNormSpecs, denseLayer, weightSpecs } from './paperLayers.ts';
import { collectingBuffers } from './buffers.ts';

export interface FlowArch {
  dim: number;
  blocks: number;
  hidden: number;
  batchNorm: boolean;
}

const CLAMP = 2;
const PLAIN = { sn: false };
const SUBNETS = ['s1', 't1', 's2', 't2'] as const;

export function flowSpecs(prefix: string, a: FlowArch): ParamSpec[] {
  if (a.dim < 2) throw new Error(`A RealNVP flow needs at least 2 dimensions (got ${a.dim}).`);
  const len1 = Math.floor(a.dim / 2),
    len2 = a.dim - len1;
  const specs: ParamSpec[] = [];
  for (let k = 0; k < a.blocks; k++)
    for (const s of SUBNETS) {
      const [cin, cout] = s.endsWith('1') ? [len1, len2] : [len2, len1];
      const n = `${prefix}.b${k}.${s}`;
      specs.push(...weightSpecs(`${n}.l0`, [cin, a.hidden], cin, { bias: true, sn: false }));
      specs.push(...weightSpecs(`${n}.l1`, [a.hidden, a.hidden], a.hidden, { bias: true, sn: false }));
      specs.push({ name: `${n}.l2.w`, shape: [a.hidden, cout], fanIn: a.hidden, init: 0 }, { name: `${n}.l2.b`, shape: [cout], fanIn: a.hidden, init: 0 });
      if (a.batchNorm) specs.push(...batchNormSpecs(`${n}.bn0`, a.hidden), ...batchNormSpecs(`${n}.bn1`, a.hidden));
    }
  return specs;
}

function subnet(p: Params, name: string, x: tf.Tensor2D, a: FlowArch): tf.Tensor2D {
  const norm = (h: tf.Tensor2D, bn: string): tf.Tensor2D => (a.batchNorm ? batchNorm(p, `${name}.${bn}`, h, { running: !collectingBuffers() }) : h);
  let h = leakyRelu(norm(denseLayer(p, `${name}.l0`, x, PLAIN), 'bn0'), 0);
  h = leakyRelu(norm(denseLayer(p, `${name}.l1`, h, PLAIN), 'bn1'), 0);
  return denseLayer(p, `${name}.l2`, h, PLAIN);
}

const softClamp = (s: tf.Tensor2D): tf.Tensor2D => tf.atan(s.div(CLAMP)).mul(CLAMP * 0.636);

/** The fixed permutation after block k (FrEIA's PermuteRandom, seeded by k; our own generator). */
const permutations = new Map<string, { perm: Int32Array; inverse: Int32Array }>();
function permutation(dim: number, k: number): { perm: Int32Array; inverse: Int32Array } {
  const key = `${dim}/${k}`;
  let p = permutations.get(key);
  if (!p) {
    const u = uniformStream(deriveSeed(0x9e37, k));
    const perm = Int32Array.from({ length: dim }, (_, i) => i);
    for (let i = dim - 1; i > 0; i--) {
      const j = Math.floor(u() * (i + 1));
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    const inverse = new Int32Array(dim);
    perm.forEach((v, i) => (inverse[v] = i));
    permutations.set(key, (p = { perm, inverse }));
  }
  return p;
}

/** Columns of x in the order `order`, with the inverse order as its gradient (WASM has no gather gradient). */
function permute(x: tf.Tensor2D, order: Int32Array, inverse: Int32Array): tf.Tensor2D {
  const op = tf.customGrad(((v: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    return {
      value: tf.gather(v, tf.tensor1d(order, 'int32'), 1),
      gradFunc: (dy: tf.Tensor) => tf.gather(dy, tf.tensor1d(inverse, 'int32'), 1),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (v: tf.Tensor2D) => tf.Tensor2D;
  return op(x);
}

/** Data to base: y = F(x) and log|det dF/dx| per row. */
export function flowForward(p: Params, prefix: string, x: tf.Tensor2D, a: FlowArch): { y: tf.Tensor2D; logdet: tf.Tensor1D } {
  const len1 = Math.floor(a.dim / 2);
  let h = x;
  let logdet = tf.zeros([x.shape[0]]) as tf.Tensor1D;
  for (let k = 0; k < a.blocks; k++) {
    const n = `${prefix}.b${k}`;
    const [x1, x2] = tf.split(h, [len1, a.dim - len1], 1) as [tf.Tensor2D, tf.Tensor2D];
    const s2 = softClamp(subnet(p, `${n}.s2`, x2, a));
    const y1 = x1.mul(s2.exp()).add(subnet(p, `${n}.t2`, x2, a)) as tf.Tensor2D;
    const s1 = softClamp(subnet(p, `${n}.s1`, y1, a));
    const y2 = x2.mul(s1.exp()).add(subnet(p, `${n}.t1`, y1, a)) as tf.Tensor2D;
    logdet = logdet.add(s2.sum(1)).add(s1.sum(1));
    const { perm, inverse } = permutation(a.dim, k);
    h = permute(tf.concat([y1, y2], 1), perm, inverse);
  }
  return { y: h, logdet };
}

/** Base to data: x = F⁻¹(y). */
export function flowInverse(p: Params, prefix: string, y: tf.Tensor2D, a: FlowArch): tf.Tensor2D {
  const len1 = Math.floor(a.dim / 2);
  let h = y;
  for (let k = a.blocks - 1; k >= 0; k--) {
    const n = `${prefix}.b${k}`;
    const { perm, inverse } = permutation(a.dim, k);
    const [y1, y2] = tf.split(permute(h, inverse, perm), [len1, a.dim - len1], 1) as [tf.Tensor2D, tf.Tensor2D];
    const x2 = y2.sub(subnet(p, `${n}.t1`, y1, a)).mul(
      softClamp(subnet(p, `${n}.s1`, y1, a))
        .neg()
        .exp(),
    ) as tf.Tensor2D;
    const x1 = y1.sub(subnet(p, `${n}.t2`, x2, a)).mul(
      softClamp(subnet(p, `${n}.s2`, x2, a))
        .neg()
        .exp(),
    ) as tf.Tensor2D;
    h = tf.concat([x1, x2], 1);
  }
  return h;
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** −log N(y; 0, I) per row (nats): the flow's base density, and the VAE's N(0, I) prior. */
export function standardNormalNll(y: tf.Tensor2D): tf.Tensor1D {
  return y
    .square()
    .sum(1)
    .mul(0.5)
    .add(HALF_LOG_2PI * y.shape[1]) as tf.Tensor1D;
}

/** −log p(x) per row under the flow with a standard normal base (nats). */
export function flowNll(p: Params, prefix: string, x: tf.Tensor2D, a: FlowArch): tf.Tensor1D {
  const { y, logdet } = flowForward(p, prefix, x, a);
  return standardNormalNll(y).sub(logdet) as tf.Tensor1D;
}

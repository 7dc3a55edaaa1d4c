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
 * Subnet layers are declared in the order l0, l1, l2, bn0, bn1 (checkpoints name them so).
 */
import * as tf from '../core/tf.ts';
import { leakyRelu } from '../ops/elementwise.ts';
import type { ParamSpec, Params } from '../core/params.ts';
import { deriveSeed, uniformStream } from '../core/rng.ts';
import { collectingBuffers } from './buffers.ts';
import { Net } from './net.ts';

export interface FlowArch {
  dim: number;
  blocks: number;
  hidden: number;
  batchNorm: boolean;
}

export interface Flow {
  specs: ParamSpec[];
  /** Data to base: y = F(x) and log|det dF/dx| per row. */
  forward(p: Params, x: tf.Tensor2D): { y: tf.Tensor2D; logdet: tf.Tensor1D };
  /** Base to data: x = F⁻¹(y). */
  inverse(p: Params, y: tf.Tensor2D): tf.Tensor2D;
  /** −log p(x) per row with a standard normal base (nats). */
  nll(p: Params, x: tf.Tensor2D): tf.Tensor1D;
}

const CLAMP = 2;

/** Linear(cin, hidden) -> [BN] -> ReLU -> Linear(hidden, hidden) -> [BN] -> ReLU -> Linear(hidden, cout), the last starting at zero. */
function subnet(net: Net, n: string, cin: number, cout: number, a: FlowArch) {
  const l0 = net.dense(`${n}.l0`, cin, a.hidden);
  const l1 = net.dense(`${n}.l1`, a.hidden, a.hidden);
  const l2 = net.dense(`${n}.l2`, a.hidden, cout, { init: { zero: true } });
  const [bn0, bn1] = a.batchNorm ? [net.bn(`${n}.bn0`, a.hidden, 1), net.bn(`${n}.bn1`, a.hidden, 1)] : [];
  return (p: Params, x: tf.Tensor2D): tf.Tensor2D => {
    // Batch statistics in training passes, running statistics otherwise.
    const norm = (h: tf.Tensor2D, bn: typeof bn0): tf.Tensor2D => (bn ? bn(p, h, { running: !collectingBuffers() }) : h);
    const h = leakyRelu(norm(l0(p, x), bn0), 0);
    return l2(p, leakyRelu(norm(l1(p, h), bn1), 0));
  };
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

/** The RealNVP of `a.blocks` coupling blocks, its parameters named `${prefix}.b{k}.{s1,t1,s2,t2}.*`. */
export function realNvp(prefix: string, a: FlowArch): Flow {
  if (a.dim < 2) throw new Error(`A RealNVP flow needs at least 2 dimensions (got ${a.dim}).`);
  const len1 = Math.floor(a.dim / 2),
    len2 = a.dim - len1;
  const net = new Net(false);
  // Per block: s1, t1 read y1 and write x2's size; s2, t2 read x2 and write x1's size.
  const blocks = Array.from({ length: a.blocks }, (_, k) => {
    const n = `${prefix}.b${k}`;
    const s1 = subnet(net, `${n}.s1`, len1, len2, a);
    const t1 = subnet(net, `${n}.t1`, len1, len2, a);
    const s2 = subnet(net, `${n}.s2`, len2, len1, a);
    const t2 = subnet(net, `${n}.t2`, len2, len1, a);
    return { s1, t1, s2, t2, ...permutation(a.dim, k) };
  });

  function forward(p: Params, x: tf.Tensor2D): { y: tf.Tensor2D; logdet: tf.Tensor1D } {
    let h = x;
    let logdet = tf.zeros([x.shape[0]]) as tf.Tensor1D;
    for (const b of blocks) {
      const [x1, x2] = tf.split(h, [len1, len2], 1) as [tf.Tensor2D, tf.Tensor2D];
      const s2 = softClamp(b.s2(p, x2));
      const y1 = x1.mul(s2.exp()).add(b.t2(p, x2)) as tf.Tensor2D;
      const s1 = softClamp(b.s1(p, y1));
      const y2 = x2.mul(s1.exp()).add(b.t1(p, y1)) as tf.Tensor2D;
      logdet = logdet.add(s2.sum(1)).add(s1.sum(1));
      h = permute(tf.concat([y1, y2], 1), b.perm, b.inverse);
    }
    return { y: h, logdet };
  }

  function inverse(p: Params, y: tf.Tensor2D): tf.Tensor2D {
    let h = y;
    for (const b of [...blocks].reverse()) {
      const [y1, y2] = tf.split(permute(h, b.inverse, b.perm), [len1, len2], 1) as [tf.Tensor2D, tf.Tensor2D];
      const x2 = y2.sub(b.t1(p, y1)).mul(softClamp(b.s1(p, y1)).neg().exp()) as tf.Tensor2D;
      const x1 = y1.sub(b.t2(p, x2)).mul(softClamp(b.s2(p, x2)).neg().exp()) as tf.Tensor2D;
      h = tf.concat([x1, x2], 1);
    }
    return h;
  }

  const nll = (p: Params, x: tf.Tensor2D): tf.Tensor1D => {
    const { y, logdet } = forward(p, x);
    return standardNormalNll(y).sub(logdet) as tf.Tensor1D;
  };
  return { specs: net.specs, forward, inverse, nll };
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

/**
 * Elementwise ops with cheaper kernels and gradients than TF.js's defaults on WASM/CPU
 * (see policy.ts). On WASM the LeakyRelu kernel is an order of magnitude slower than
 * Step + Multiply, and its default gradient adds Greater + Select + Mul; clipByValue's
 * gradient is GreaterEqual + LessEqual + LogicalAnd + Select, each far slower per element
 * than Step (docs/performance.md, Kernels).
 *   lrelu(x)        = x · step(x, alpha)        step(x, a) = 1 if x > 0 else a
 *   d lrelu(x)/dx   = step(x, alpha)            (the same tensor, saved from the forward)
 *   d clip(x)/dx    = 1 - step(|x - c| - r, 0)  (1 inside [lo, hi], ends included, as TF.js)
 */
import * as tf from '../core/tf.ts';
import { useComposedGradients } from './policy.ts';

type Op = (x: tf.Tensor) => tf.Tensor;

function cachedOp(cache: Map<string, Op>, key: string, make: () => Op): Op {
  let op = cache.get(key);
  if (!op) cache.set(key, (op = make()));
  return op;
}

const leakyOps = new Map<string, Op>();

function composedLeakyRelu(alpha: number): Op {
  return cachedOp(
    leakyOps,
    String(alpha),
    () =>
      tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
        const slope = tf.step(x, alpha);
        save([slope]);
        return { value: x.mul(slope), gradFunc: (dy: tf.Tensor, [s]: tf.Tensor[]) => dy.mul(s!) };
      }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Op,
  );
}

export function leakyRelu<T extends tf.Tensor>(x: T, alpha: number): T {
  return (useComposedGradients() ? composedLeakyRelu(alpha)(x) : tf.leakyRelu(x, alpha)) as T;
}

const clipOps = new Map<string, Op>();

function composedClip(lo: number, hi: number): Op {
  const centre = (lo + hi) / 2,
    radius = (hi - lo) / 2;
  return cachedOp(
    clipOps,
    `${lo}/${hi}`,
    () =>
      tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
        save([x]);
        return {
          value: x.clipByValue(lo, hi),
          gradFunc: (dy: tf.Tensor, [sx]: tf.Tensor[]) => dy.mul(tf.sub(1, tf.step(sx!.sub(centre).abs().sub(radius), 0))),
        };
      }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Op,
  );
}

/** clipByValue(x, lo, hi) with a cheaper gradient on WASM/CPU (same values). */
export function clip<T extends tf.Tensor>(x: T, lo: number, hi: number): T {
  return (useComposedGradients() ? composedClip(lo, hi)(x) : x.clipByValue(lo, hi)) as T;
}

/** x with no gradient through it (torch's .detach()): spectral norm's power iteration, the flow prior's fit on encoder means. */
export const stopGradient = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([]);
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as <T extends tf.Tensor>(x: T) => T;

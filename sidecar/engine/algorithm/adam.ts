/**
 * Adam on named parameter maps, as a pure step function with explicit state so the
 * state goes into checkpoints (tf.train optimizers keep it in hidden variables).
 * Matches torch.optim.Adam: p -= lr/(1-b1^t) · m / (sqrt(v)/sqrt(1-b2^t) + eps).
 */
import * as tf from '../core/tf.ts';
import type { Params } from '../core/params.ts';

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps?: number;
}

export interface AdamState {
  t: number;
  m: Params;
  v: Params;
}

export function adamInit(p: Params): AdamState {
  const m: Params = {};
  const v: Params = {};
  for (const [k, t] of Object.entries(p)) {
    m[k] = tf.zerosLike(t);
    v[k] = tf.zerosLike(t);
  }
  return { t: 0, m, v };
}

/**
 * One update. Consumes (disposes) the old params and moments, returns new ones.
 * `grads` are left to the caller to dispose.
 */
export function adamStep(p: Params, grads: Params, s: AdamState, h: AdamHyper): { params: Params; state: AdamState } {
  const t = s.t + 1;
  const eps = h.eps ?? 1e-8;
  const bc1 = 1 - h.beta1 ** t;
  const bc2 = Math.sqrt(1 - h.beta2 ** t);
  const params: Params = {};
  const m: Params = {};
  const v: Params = {};
  tf.tidy(() => {
    for (const k of Object.keys(p)) {
      const g = grads[k];
      if (!g) throw new Error(`internal: no gradient for parameter "${k}"`);
      const mk = s.m[k]!.mul(h.beta1).add(g.mul(1 - h.beta1));
      const vk = s.v[k]!.mul(h.beta2).add(g.square().mul(1 - h.beta2));
      const step = mk.div(vk.sqrt().div(bc2).add(eps)).mul(h.lr / bc1);
      params[k] = tf.keep(p[k]!.sub(step));
      m[k] = tf.keep(mk);
      v[k] = tf.keep(vk);
    }
  });
  for (const k of Object.keys(p)) {
    p[k]!.dispose();
    s.m[k]!.dispose();
    s.v[k]!.dispose();
  }
  return { params, state: { t, m, v } };
}

export function disposeAdam(s: AdamState): void {
  for (const t of [...Object.values(s.m), ...Object.values(s.v)]) t.dispose();
}

/**
 * The gradients scaled so their global L2 norm is at most `max` (torch's
 * clip_grad_norm_), and the norm before scaling. Stays on the device: no read-back.
 * Consumes `grads` as adamStep consumes params: with `max` undefined it returns the same
 * map (no copy on the training path when clipping is off); otherwise new tensors, the
 * old ones disposed.
 */
export function clipByGlobalNorm(grads: Params, max: number | undefined): { grads: Params; norm: tf.Scalar } {
  // Summed in the order of the names, not of the map: a run resumed from a checkpoint
  // (whose parameters load sorted by name) must get the norm of the uninterrupted run bit
  // for bit, and float sums depend on their order.
  const norm = tf.tidy(
    () =>
      tf
        .addN(
          Object.keys(grads)
            .sort()
            .map((k) => grads[k]!.square().sum()),
        )
        .sqrt() as tf.Scalar,
  );
  if (max === undefined) return { grads, norm };
  const out = tf.tidy(() => {
    const scale = tf.minimum(1, tf.div(max, norm.add(1e-6)));
    return Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, g.mul(scale)])) as Params;
  });
  for (const g of Object.values(grads)) g.dispose();
  return { grads: out, norm };
}

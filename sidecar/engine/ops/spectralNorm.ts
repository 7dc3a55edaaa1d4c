/**
 * Spectral normalisation W / σ(W) as our op (policy.ts), as torch.nn.utils.spectral_norm
 * in training mode: one power iteration from the stored vector u per pass. With M the
 * weight as a [fanIn, cout] matrix:
 *   v = unit(M u),  u' = unit(Mᵀ v),  σ = vᵀ M u'      (u and v held fixed)
 * outputs W/σ and u' (the buffer's next value; models/buffers.ts). Its gradient, with
 * respect to W only (u is a buffer):
 *   dW = (dY − ⟨dY, Y⟩ · v u'ᵀ) / σ
 * The kernel keeps its outputs per FilterCache scope by the data of W and u. The steps of
 * an SGLD chain or a restoration (no buffer updates outside training, so u is the same
 * tensor every step) then share one normalised weight, and with it every filter
 * transform made from it (filterCache.ts); in a training pass the second use of a layer
 * reads the u the first one proposed, so each use runs its own power iteration, as
 * PyTorch's does.
 */
import * as tf from '../core/tf.ts';
import { stopGradient } from './elementwise.ts';
import { derived, filterCacheActive } from './filterCache.ts';
import { COMPOSED_BACKENDS, registerGradientOnce, useComposedGradients } from './policy.ts';

/** torch.nn.functional.normalize's floor on the norm. */
const SN_EPS = 1e-12;
/** v / |v| (a column), floored as torch's normalize. */
export const unit = (v: tf.Tensor2D): tf.Tensor2D => v.div(v.norm().maximum(SN_EPS));

interface PowerStep {
  m: tf.Tensor2D;
  v: tf.Tensor2D;
  u: tf.Tensor2D;
  sigma: tf.Scalar;
}

/** One power iteration from u0; `detach` keeps the gradient out of u and v (on the tape). */
function powerStep(w: tf.Tensor, u0: tf.Tensor, detach: (m: tf.Tensor2D) => tf.Tensor2D): PowerStep {
  const cout = w.shape[w.rank - 1]!;
  const m = w.reshape([-1, cout]) as tf.Tensor2D;
  const md = detach(m);
  const v = unit(tf.matMul(md, u0.reshape([cout, 1]) as tf.Tensor2D));
  const u = unit(tf.matMul(md, v, true, false));
  const sigma = tf.matMul(tf.matMul(v, m, true, false), u).reshape([]) as tf.Scalar;
  return { m, v, u, sigma };
}

function normalised(w: tf.Tensor, u0: tf.Tensor, detach: (m: tf.Tensor2D) => tf.Tensor2D): [tf.Tensor, tf.Tensor1D] {
  const s = powerStep(w, u0, detach);
  return [w.div(s.sigma), s.u.reshape([-1]) as tf.Tensor1D];
}

// Kernel: the outputs share the data of the ones kept in the scope (a reference, as
// TF.js's own Reshape and the CPU backend's Identity do), so every step of a chain passes
// the same weight data on and the transforms keyed by it are found.
const SPECTRAL_NORMALIZE = 'EcvaeSpectralNormalize';
for (const backendName of COMPOSED_BACKENDS) {
  if (tf.getKernel(SPECTRAL_NORMALIZE, backendName)) continue;
  tf.registerKernel({
    kernelName: SPECTRAL_NORMALIZE,
    backendName,
    kernelFunc: ({ inputs, backend }) => {
      const { w, u } = inputs as unknown as { w: tf.Tensor; u: tf.Tensor };
      const outs = tf.tidy(() => derived('sn', w, () => normalised(w, u, (m) => m), [u]));
      const infos = outs.map((t) => {
        (backend as unknown as { incRef(dataId: object): void }).incRef(t.dataId);
        return { dataId: t.dataId, shape: t.shape, dtype: t.dtype };
      });
      if (!filterCacheActive()) tf.dispose(outs); // made for this call only: the outputs hold the data
      return infos;
    },
  });
}

// Gradient.
/** The gradient pass of spectral normalisation (an object, so that tests can count its calls). */
export const spectralNormGradients = {
  weight: (dy: tf.Tensor, w: tf.Tensor, u0: tf.Tensor): tf.Tensor => {
    const { v, u, sigma } = powerStep(w, u0, (m) => m);
    const y = w.div(sigma);
    const outer = tf.matMul(v, u, false, true).reshape(w.shape);
    return dy.sub(outer.mul(dy.mul(y).sum())).div(sigma);
  },
};
registerGradientOnce({
  kernelName: SPECTRAL_NORMALIZE,
  inputsToSave: ['w', 'u'],
  gradFunc: (dys, [w, u]) => {
    const dy = (dys as tf.Tensor[])[0]!;
    return { w: () => spectralNormGradients.weight(dy, w!, u!), u: () => tf.zerosLike(u!) };
  },
});

// Op.
/** W/σ(W) and the power iteration's next u, from the weight w [..., cout] and u [cout]. */
export function spectralNormalize(w: tf.Tensor, u: tf.Tensor): { weight: tf.Tensor; u: tf.Tensor1D } {
  if (!useComposedGradients()) {
    const [weight, next] = normalised(w, u, stopGradient);
    return { weight, u: next };
  }
  const [weight, next] = tf.engine().runKernel(SPECTRAL_NORMALIZE, { w, u }) as unknown as [tf.Tensor, tf.Tensor1D];
  return { weight, u: next };
}

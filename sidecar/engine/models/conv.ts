/**
 * Convolutional encoder / decoder / energy model: the reference architecture of
 * bench/reference/README.md, generalised to `levels` stride-2 stages.
 *   Encoder: levels x [conv 4x4 s2 p1, lrelu] (C -> W -> 2W -> ...), dense -> (mu, logvar).
 *   Decoder: dense -> top feature map; levels x [2x nearest up, conv 3x3, lrelu]; conv 3x3 -> C; tanh.
 *   EBM:     stem conv 3x3; levels stages [avg-pool 2 (not first), lrelu, conv 3x3]; lrelu;
 *            global mean (ebmHead "mean") or flatten ("flatten"); dense -> hidden; lrelu;
 *            dense -> 1; / tau. Its channels are EW, 2EW, ... with EW = ebmWidth, W unless
 *            set: the energy may be wider than the VAE.
 */
import * as tf from '../core/tf.ts';
import type { Params } from '../core/params.ts';
import { spatialMean, upsample2 } from '../ops/resample.ts';
import { fusedHead, fusedHeadSuits } from '../ops/energyHead.ts';
import { LEAK, lrelu } from './layers.ts';
import { Net } from './net.ts';
import type { EcvaeModel } from './types.ts';

export interface ConvArch {
  size: number;
  channels: number;
  width: number;
  levels: number;
  latentDim: number;
  ebmHidden: number;
  /** Base channels of the energy model; omitted: `width`. */
  ebmWidth?: number;
  /**
   * How the energy's last feature map reaches its dense head. "mean" (omitted): each
   * channel's global mean, so the energy is a statistic of patches a few pixels wide,
   * blind to where they lie. "flatten": every position's features, so it sees layout.
   */
  ebmHead?: 'mean' | 'flatten';
  temperature: number;
}

export function convModel(a: ConvArch): EcvaeModel {
  const { size: S, channels: C, width: W, levels: L, latentDim: Z } = a;
  const bottom = S / 2 ** L;
  const levels = Array.from({ length: L }, (_, i) => i);
  const encCh = [C, ...levels.map((i) => W * 2 ** i)];
  const top = encCh[L]!;
  const decCh = [...levels.map((i) => W * 2 ** (L - 1 - i)), W];
  const EW = a.ebmWidth ?? W;
  const ebmCh = levels.map((i) => EW * 2 ** i);
  const flat = top * bottom * bottom;

  const enc = new Net(false);
  const encConvs = levels.map((i) => enc.conv(`enc.conv${i}`, 4, encCh[i]!, encCh[i + 1]!, { out: S / 2 ** (i + 1), stride: 2, pad: 1 }));
  const encFc = enc.dense('enc.fc', flat, 2 * Z);

  const dec = new Net(false);
  const decFc = dec.dense('dec.fc', Z, flat);
  const decConvs = levels.map((i) => dec.conv(`dec.conv${i}`, 3, decCh[i]!, decCh[i + 1]!, { out: bottom * 2 ** (i + 1) }));
  const decOut = dec.conv('dec.out', 3, W, C, { out: S });

  const ebm = new Net(false);
  const stem = ebm.conv('ebm.stem', 3, C, EW, { out: S });
  // Stage i+1's average pool is done by stage i's convolution, fused into its kernels.
  const stages = levels.map((i) =>
    ebm.convAfterLrelu(`ebm.conv${i}`, 3, ebmCh[Math.max(i - 1, 0)]!, ebmCh[i]!, { out: S / 2 ** i, leak: LEAK, pool: i < L - 1 }),
  );
  const flatten = a.ebmHead === 'flatten';
  const topSize = S / 2 ** (L - 1);
  const head1 = ebm.dense('ebm.head1', ebmCh[L - 1]! * (flatten ? topSize * topSize : 1), a.ebmHidden);
  const head2 = ebm.dense('ebm.head2', a.ebmHidden, 1);

  return {
    kind: 'conv',
    dataShape: [S, S, C],
    latentDim: Z,
    specs: { enc: enc.specs, dec: dec.specs, ebm: ebm.specs },
    encode(p: Params, x: tf.Tensor) {
      let h = x as tf.Tensor4D;
      for (const conv of encConvs) h = lrelu(conv(p, h));
      const [mu, logvar] = tf.split(encFc(p, h.reshape([h.shape[0], flat])), 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      return { mu, logvar };
    },
    decode(p: Params, z: tf.Tensor2D) {
      let h = decFc(p, z).reshape([z.shape[0], bottom, bottom, top]) as tf.Tensor4D;
      for (const conv of decConvs) h = lrelu(conv(p, upsample2(h)));
      return tf.tanh(decOut(p, h));
    },
    energy(p: Params, x: tf.Tensor) {
      let h = stem(p, x as tf.Tensor4D);
      for (const stage of stages) h = stage(p, h);
      if (!flatten) {
        // The head in one kernel each way where the backend allows (ops/energyHead.ts).
        const [l1, l2] = [head1.tensors(p), head2.tensors(p)];
        const head = { w1: l1.w, b1: l1.b, w2: l2.w, b2: l2.b, leak: LEAK, temperature: a.temperature };
        if (fusedHeadSuits(h, head)) return fusedHead(h, head);
      }
      const features = flatten ? (lrelu(h).reshape([h.shape[0], -1]) as tf.Tensor2D) : spatialMean(lrelu(h));
      const e = head2(p, lrelu(head1(p, features)));
      return e.reshape([-1]).div(a.temperature) as tf.Tensor1D;
    },
  };
}

/**
 * Convolutional encoder / decoder / energy model: the reference architecture of
 * bench/reference/README.md, generalised to `levels` stride-2 stages.
 *   Encoder: levels x [conv 4x4 s2 p1, lrelu] (C -> W -> 2W -> ...), dense -> (mu, logvar).
 *   Decoder: dense -> top feature map; levels x [2x nearest up, conv 3x3, lrelu]; conv 3x3 -> C; tanh.
 *   EBM:     stem conv 3x3; levels stages [avg-pool 2 (not first), lrelu, conv 3x3]; lrelu;
 *            global mean; dense -> hidden; lrelu; dense -> 1; / tau. Its channels are
 *            EW, 2EW, ... with EW = ebmWidth, W unless set: the energy may be wider than the VAE.
 */
import * as tf from '../core/tf.ts';
import { convSpecs, denseSpecs, param, type ParamSpec, type Params } from '../core/params.ts';
import { spatialMean, upsample2 } from '../ops/resample.ts';
import { fusedHead, fusedHeadSuits, type HeadWeights } from '../ops/energyHead.ts';
import { conv, convAfterLrelu, dense, LEAK, lrelu } from './layers.ts';
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
  temperature: number;
}

const S2 = { stride: 2, pad: 1 };
const S1 = { stride: 1, pad: 1 };

export function convModel(a: ConvArch): EcvaeModel {
  const { size: S, channels: C, width: W, levels: L, latentDim: Z } = a;
  const bottom = S / 2 ** L;
  const encCh = [C, ...Array.from({ length: L }, (_, i) => W * 2 ** i)];
  const top = encCh[L]!;
  const decCh = [...Array.from({ length: L }, (_, i) => W * 2 ** (L - 1 - i)), W];
  const EW = a.ebmWidth ?? W;
  const ebmCh = Array.from({ length: L }, (_, i) => EW * 2 ** i);
  const flat = top * bottom * bottom;

  const enc: ParamSpec[] = [];
  for (let i = 0; i < L; i++) enc.push(...convSpecs(`enc.conv${i}`, 4, encCh[i]!, encCh[i + 1]!));
  enc.push(...denseSpecs('enc.fc', flat, 2 * Z));

  const dec: ParamSpec[] = [...denseSpecs('dec.fc', Z, flat)];
  for (let i = 0; i < L; i++) dec.push(...convSpecs(`dec.conv${i}`, 3, decCh[i]!, decCh[i + 1]!));
  dec.push(...convSpecs('dec.out', 3, W, C));

  const ebm: ParamSpec[] = [...convSpecs('ebm.stem', 3, C, EW)];
  for (let i = 0; i < L; i++) ebm.push(...convSpecs(`ebm.conv${i}`, 3, ebmCh[Math.max(i - 1, 0)]!, ebmCh[i]!));
  ebm.push(...denseSpecs('ebm.head1', ebmCh[L - 1]!, a.ebmHidden), ...denseSpecs('ebm.head2', a.ebmHidden, 1));

  return {
    kind: 'conv',
    dataShape: [S, S, C],
    latentDim: Z,
    specs: { enc, dec, ebm },
    encode(p: Params, x: tf.Tensor) {
      let h = x as tf.Tensor4D;
      for (let i = 0; i < L; i++) h = lrelu(conv(p, `enc.conv${i}`, h, S2, false));
      const out = dense(p, 'enc.fc', h.reshape([h.shape[0], flat]));
      const [mu, logvar] = tf.split(out, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      return { mu, logvar };
    },
    decode(p: Params, z: tf.Tensor2D) {
      let h = dense(p, 'dec.fc', z).reshape([z.shape[0], bottom, bottom, top]) as tf.Tensor4D;
      for (let i = 0; i < L; i++) h = lrelu(conv(p, `dec.conv${i}`, upsample2(h), S1, false));
      return tf.tanh(conv(p, 'dec.out', h, S1, false));
    },
    energy(p: Params, x: tf.Tensor, frozen = false) {
      let h = conv(p, 'ebm.stem', x as tf.Tensor4D, S1, frozen);
      // Stage i+1's average pool is done by stage i's convolution, fused into its kernels.
      for (let i = 0; i < L; i++) h = convAfterLrelu(p, `ebm.conv${i}`, h, S1, frozen, i < L - 1);
      if (frozen) {
        // In the SGLD chains, the head in one kernel each way where the backend allows (ops/energyHead.ts).
        const w = (name: string): tf.Tensor => param(p, name);
        const head = {
          w1: w('ebm.head1.w'),
          b1: w('ebm.head1.b'),
          w2: w('ebm.head2.w'),
          b2: w('ebm.head2.b'),
          leak: LEAK,
          temperature: a.temperature,
        } as HeadWeights;
        if (fusedHeadSuits(h, head)) return fusedHead(h, head);
      }
      const pooled = spatialMean(lrelu(h));
      const e = dense(p, 'ebm.head2', lrelu(dense(p, 'ebm.head1', pooled, frozen)), frozen);
      return e.reshape([-1]).div(a.temperature) as tf.Tensor1D;
    },
  };
}

/**
 * The FastGAN networks of the official fast_ae (models/fastae.py) at 256x256, the
 * official default widths (ngf = ndf = 64) scaled by `ch`:
 *   Decoder (Generator, im_size 256): z as a 1x1 map -> 4x4 transposed conv to 2·nfc4, BN,
 *     GLU; up-blocks to 8 (Comp), 16, 32 (Comp), 64, 128 (Comp), 256: nearest x2, conv 3x3
 *     to 2·nfc, BN, GLU (Comp: twice); skip-layer excitation of 64 by 4, 128 by 8, 256 by
 *     16; conv 3x3 -> tanh (to_big). nfc 4: 1024, 8: 512, 16: 256, 32: 128, 64: 128,
 *     128: 64, 256: 32. No biases; every conv spectrally normalised. The official module
 *     also holds to_128 (a 1x1 conv nfc128 -> 3, 192 weights at width 1) that its
 *     single-output forward, the one fast_ae decodes with, never calls; it is left out
 *     here (a weight no loss reaches has no gradient), so the official count is ours + 192.
 *   Encoder (Discriminator, im_size 256, num_latent Z): conv 3x3 to nfc512, LeakyReLU 0.2;
 *     five DownBlockComp halving 256 -> 8 ((main: conv 4x4 s2, BN, lrelu, conv 3x3, BN,
 *     lrelu) + (direct: avgpool 2, conv 1x1, BN, lrelu)) / 2; excitation of 32 by 256,
 *     16 by 128, 8 by 64; conv 1x1, BN, lrelu, conv 4x4 valid to Z/2 channels at 5x5;
 *     flattened in PyTorch's channel-major order; two plain linears -> mu, and the second
 *     head, read as log-variance (the official encoder returns (mu, logsig) and no
 *     training script of fast_ae ships). nfc 512: 16, 256: 32, 128: 64, 64: 128, 32: 256,
 *     16: 512, 8: 1024. Convs spectrally normalised, the linear heads not.
 * Layers are declared in the official modules' registration order (specList.ts).
 */
import * as tf from '../core/tf.ts';
import { leakyRelu } from '../ops/elementwise.ts';
import { avgPool2, upsample2 } from '../ops/resample.ts';
import type { Params } from '../core/params.ts';
import { batchNorm, convLayer, convTransposeLayer, denseLayer, glu, skipExcitation, type LayerOptions } from './paperLayers.ts';
import { SpecList } from './specList.ts';

export const FASTGAN_SIZE = 256;

const lrelu = <T extends tf.Tensor>(x: T): T => leakyRelu(x, 0.2);
const S1 = { stride: 1, pad: 1 };
const PW = { stride: 1, pad: 0 };

/** FastGAN's SEBlock specs: conv 4x4 (valid, on the 4x4 pool) cin -> cout, conv 1x1 cout -> cout, no biases. */
function seSpecs(l: SpecList, name: string, cin: number, cout: number, bigSize: number): void {
  l.conv(`${name}.conv1`, 4, cin, cout, 1, false);
  l.conv(`${name}.conv2`, 1, cout, cout, 1, false);
  l.elementwise(2 * cout * bigSize * bigSize);
}

export function fastganGenerator(o: { latentDim: number; channels: number; ch: (n: number) => number; sn: boolean }) {
  const Z = o.latentDim;
  const nfc = (size: number): number => o.ch({ 4: 1024, 8: 512, 16: 256, 32: 128, 64: 128, 128: 64, 256: 32 }[size]!);
  const ups = [8, 16, 32, 64, 128, 256].map((size) => ({ size, comp: size === 8 || size === 32 || size === 128 }));
  const se: [number, number][] = [
    [64, 4],
    [128, 8],
    [256, 16],
  ];
  const dec = new SpecList(o.sn);
  dec.convT('dec.init', 4, Z, 2 * nfc(4), 4);
  dec.bn('dec.init.bn', 2 * nfc(4), 4);
  for (const u of ups) {
    const cin = nfc(u.size / 2),
      cout = nfc(u.size);
    dec.elementwise(cin * u.size * u.size); // the upsampled input
    dec.conv(`dec.feat${u.size}.conv1`, 3, cin, 2 * cout, u.size, false);
    dec.bn(`dec.feat${u.size}.bn1`, 2 * cout, u.size);
    if (u.comp) {
      dec.conv(`dec.feat${u.size}.conv2`, 3, cout, 2 * cout, u.size, false);
      dec.bn(`dec.feat${u.size}.bn2`, 2 * cout, u.size);
    }
  }
  for (const [big, small] of se) seSpecs(dec, `dec.se${big}`, nfc(small), nfc(big), big);
  dec.conv('dec.out', 3, nfc(256), o.channels, FASTGAN_SIZE, false);
  const opt: LayerOptions = { sn: o.sn };

  function decode(p: Params, z: tf.Tensor2D): tf.Tensor {
    const feats: Record<number, tf.Tensor4D> = {};
    feats[4] = glu(batchNorm(p, 'dec.init.bn', convTransposeLayer(p, 'dec.init', z.reshape([z.shape[0], 1, 1, Z]), PW, opt)));
    for (const u of ups) {
      const n = `dec.feat${u.size}`;
      let h = glu(batchNorm(p, `${n}.bn1`, convLayer(p, `${n}.conv1`, upsample2(feats[u.size / 2]!), S1, opt)));
      if (u.comp) h = glu(batchNorm(p, `${n}.bn2`, convLayer(p, `${n}.conv2`, h, S1, opt)));
      const gate = se.find(([big]) => big === u.size);
      feats[u.size] = gate ? skipExcitation(p, `dec.se${u.size}`, feats[gate[1]]!, h, opt) : h;
    }
    return tf.tanh(convLayer(p, 'dec.out', feats[FASTGAN_SIZE]!, S1, opt));
  }
  return { list: dec, decode };
}

export function fastganEncoder(o: { latentDim: number; channels: number; ch: (n: number) => number; sn: boolean }) {
  const Z = o.latentDim;
  const half = Math.floor(Z / 2);
  if (half < 1) throw new Error('model.kind "paper256" needs model.latentDim >= 2 (its encoder head has latentDim / 2 channels).');
  const nfc = (size: number): number => o.ch({ 8: 1024, 16: 512, 32: 256, 64: 128, 128: 64, 256: 32, 512: 16 }[size]!);
  // Five DownBlockComp from 256 down to 8: [name, cin, cout, output size].
  const downs: [string, number, number, number][] = [
    ['down4', nfc(512), nfc(256), 128],
    ['down8', nfc(256), nfc(128), 64],
    ['down16', nfc(128), nfc(64), 32],
    ['down32', nfc(64), nfc(32), 16],
    ['down64', nfc(32), nfc(16), 8],
  ];
  // Excitation of a block's output by an earlier map: [block, source block, source channels, gated channels, gated size].
  const gates: [string, string, number, number, number][] = [
    ['down16', 'fromBig', nfc(512), nfc(64), 32],
    ['down32', 'down4', nfc(256), nfc(32), 16],
    ['down64', 'down8', nfc(128), nfc(16), 8],
  ];
  const enc = new SpecList(o.sn);
  enc.conv('enc.fromBig', 3, o.channels, nfc(512), FASTGAN_SIZE, false);
  enc.elementwise(nfc(512) * FASTGAN_SIZE * FASTGAN_SIZE);
  for (const [name, cin, cout, size] of downs) {
    const n = `enc.${name}`;
    enc.conv(`${n}.main1`, 4, cin, cout, size, false);
    enc.bn(`${n}.mainBn1`, cout, size);
    enc.conv(`${n}.main2`, 3, cout, cout, size, false);
    enc.bn(`${n}.mainBn2`, cout, size);
    enc.elementwise(cin * size * size);
    enc.conv(`${n}.direct`, 1, cin, cout, size, false);
    enc.bn(`${n}.directBn`, cout, size);
  }
  enc.conv('enc.rf1', 1, nfc(16), nfc(8), 8, false);
  enc.bn('enc.rfBn', nfc(8), 8);
  enc.conv('enc.rf2', 4, nfc(8), half, 5, false);
  enc.dense('enc.mu', half * 25, Z, undefined, false);
  enc.dense('enc.logvar', half * 25, Z, undefined, false);
  for (const [block, , cin, cout, size] of gates) seSpecs(enc, `enc.se.${block}`, cin, cout, size);
  const opt: LayerOptions = { sn: o.sn };
  const plain: LayerOptions = { sn: false };

  function encode(p: Params, x: tf.Tensor): { mu: tf.Tensor2D; logvar: tf.Tensor2D } {
    const feats: Record<string, tf.Tensor4D> = {};
    let h = lrelu(convLayer(p, 'enc.fromBig', x as tf.Tensor4D, S1, opt));
    feats.fromBig = h;
    for (const [name] of downs) {
      const n = `enc.${name}`;
      let main = lrelu(batchNorm(p, `${n}.mainBn1`, convLayer(p, `${n}.main1`, h, { stride: 2, pad: 1 }, opt)));
      main = lrelu(batchNorm(p, `${n}.mainBn2`, convLayer(p, `${n}.main2`, main, S1, opt)));
      const direct = lrelu(batchNorm(p, `${n}.directBn`, convLayer(p, `${n}.direct`, avgPool2(h), PW, opt)));
      h = main.add(direct).mul(0.5);
      const gate = gates.find(([block]) => block === name);
      if (gate) h = skipExcitation(p, `enc.se.${name}`, feats[gate[1]]!, h, opt);
      feats[name] = h;
    }
    const rf = convLayer(p, 'enc.rf2', lrelu(batchNorm(p, 'enc.rfBn', convLayer(p, 'enc.rf1', h, PW, opt))), PW, opt);
    // PyTorch flattens [B, C, H, W]: channel-major, so the linear heads' weights keep their layout.
    const flat = rf.transpose([0, 3, 1, 2]).reshape([rf.shape[0], -1]) as tf.Tensor2D;
    return { mu: denseLayer(p, 'enc.mu', flat, plain), logvar: denseLayer(p, 'enc.logvar', flat, plain) };
  }
  return { list: enc, encode };
}

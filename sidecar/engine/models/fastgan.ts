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
 * Layers are declared in the official modules' registration order (net.ts).
 */
import * as tf from '../core/tf.ts';
import { leakyRelu } from '../ops/elementwise.ts';
import { avgPool2, upsample2 } from '../ops/resample.ts';
import type { Params } from '../core/params.ts';
import { adaptiveAvgPool, glu, swish } from './paperLayers.ts';
import { Net } from './net.ts';

export const FASTGAN_SIZE = 256;

const lrelu = <T extends tf.Tensor>(x: T): T => leakyRelu(x, 0.2);

/**
 * UpBlock (UpBlockComp where `comp`): nearest x2, conv 3x3 cin -> 2·cout, BN, GLU;
 * Comp: then conv 3x3 cout -> 2·cout, BN, GLU. No biases.
 */
export function upBlock(net: Net, n: string, cin: number, cout: number, size: number, comp: boolean) {
  const conv1 = net.conv(`${n}.conv1`, 3, cin, 2 * cout, { out: size, bias: false });
  const bn1 = net.bn(`${n}.bn1`, 2 * cout, size);
  const second = comp ? { conv: net.conv(`${n}.conv2`, 3, cout, 2 * cout, { out: size, bias: false }), bn: net.bn(`${n}.bn2`, 2 * cout, size) } : undefined;
  return (p: Params, x: tf.Tensor4D): tf.Tensor4D => {
    const h = glu(bn1(p, conv1(p, upsample2(x))));
    return second ? glu(second.bn(p, second.conv(p, h))) : h;
  };
}

/**
 * Skip-layer excitation (SEBlock): a small map gates a large one channel-wise,
 *   big · sigmoid(conv1x1(swish(conv4x4(adaptiveAvgPool4(small)))))
 * conv 4x4 valid cin -> cout on the 4x4 pool, conv 1x1 cout -> cout, both without bias.
 */
export function seBlock(net: Net, n: string, cin: number, cout: number, bigSize: number) {
  const conv1 = net.conv(`${n}.conv1`, 4, cin, cout, { out: 1, pad: 0, bias: false });
  const conv2 = net.conv(`${n}.conv2`, 1, cout, cout, { out: 1, bias: false });
  net.elementwise(2 * cout * bigSize * bigSize);
  return (p: Params, small: tf.Tensor4D, big: tf.Tensor4D): tf.Tensor4D => big.mul(tf.sigmoid(conv2(p, swish(conv1(p, adaptiveAvgPool(small, 4))))));
}

export function fastganGenerator(o: { latentDim: number; channels: number; ch: (n: number) => number; sn: boolean }) {
  const Z = o.latentDim;
  const nfc = (size: number): number => o.ch({ 4: 1024, 8: 512, 16: 256, 32: 128, 64: 128, 128: 64, 256: 32 }[size]!);
  const net = new Net(o.sn);
  const init = net.convT('dec.init', 4, Z, 2 * nfc(4), { out: 4 });
  const initBn = net.bn('dec.init.bn', 2 * nfc(4), 4);
  const ups = [8, 16, 32, 64, 128, 256].map((size) => {
    net.elementwise(nfc(size / 2) * size * size); // the upsampled input
    return { size, block: upBlock(net, `dec.feat${size}`, nfc(size / 2), nfc(size), size, size === 8 || size === 32 || size === 128) };
  });
  // Excitation of the 64, 128 and 256 maps by the 4, 8 and 16 maps.
  const gates = new Map(
    [
      [64, 4],
      [128, 8],
      [256, 16],
    ].map(([big, small]) => [big!, { small: small!, se: seBlock(net, `dec.se${big}`, nfc(small!), nfc(big!), big!) }]),
  );
  const out = net.conv('dec.out', 3, nfc(256), o.channels, { out: FASTGAN_SIZE, bias: false });

  function decode(p: Params, z: tf.Tensor2D): tf.Tensor {
    const feats: Record<number, tf.Tensor4D> = {};
    feats[4] = glu(initBn(p, init(p, z.reshape([z.shape[0], 1, 1, Z]))));
    for (const { size, block } of ups) {
      const h = block(p, feats[size / 2]!);
      const gate = gates.get(size);
      feats[size] = gate ? gate.se(p, feats[gate.small]!, h) : h;
    }
    return tf.tanh(out(p, feats[FASTGAN_SIZE]!));
  }
  return { net, decode };
}

/** DownBlockComp: (main: conv 4x4 s2, BN, lrelu, conv 3x3, BN, lrelu) + (direct: avgpool 2, conv 1x1, BN, lrelu), halved. */
function downBlock(net: Net, n: string, cin: number, cout: number, size: number) {
  const main1 = net.conv(`${n}.main1`, 4, cin, cout, { out: size, stride: 2, pad: 1, bias: false });
  const mainBn1 = net.bn(`${n}.mainBn1`, cout, size);
  const main2 = net.conv(`${n}.main2`, 3, cout, cout, { out: size, bias: false });
  const mainBn2 = net.bn(`${n}.mainBn2`, cout, size);
  net.elementwise(cin * size * size);
  const direct = net.conv(`${n}.direct`, 1, cin, cout, { out: size, bias: false });
  const directBn = net.bn(`${n}.directBn`, cout, size);
  return (p: Params, x: tf.Tensor4D): tf.Tensor4D => {
    const main = lrelu(mainBn2(p, main2(p, lrelu(mainBn1(p, main1(p, x))))));
    return main.add(lrelu(directBn(p, direct(p, avgPool2(x))))).mul(0.5);
  };
}

export function fastganEncoder(o: { latentDim: number; channels: number; ch: (n: number) => number; sn: boolean }) {
  const Z = o.latentDim;
  const half = Math.floor(Z / 2);
  if (half < 1) throw new Error('model.kind "paper256" needs model.latentDim >= 2 (its encoder head has latentDim / 2 channels).');
  const nfc = (size: number): number => o.ch({ 8: 1024, 16: 512, 32: 256, 64: 128, 128: 64, 256: 32, 512: 16 }[size]!);
  const net = new Net(o.sn);
  const fromBig = net.conv('enc.fromBig', 3, o.channels, nfc(512), { out: FASTGAN_SIZE, bias: false });
  net.elementwise(nfc(512) * FASTGAN_SIZE * FASTGAN_SIZE);
  // Five DownBlockComp from 256 down to 8: [name, cin, cout, output size].
  const downs = (
    [
      ['down4', nfc(512), nfc(256), 128],
      ['down8', nfc(256), nfc(128), 64],
      ['down16', nfc(128), nfc(64), 32],
      ['down32', nfc(64), nfc(32), 16],
      ['down64', nfc(32), nfc(16), 8],
    ] as const
  ).map(([name, cin, cout, size]) => ({ name, block: downBlock(net, `enc.${name}`, cin, cout, size) }));
  const rf1 = net.conv('enc.rf1', 1, nfc(16), nfc(8), { out: 8, bias: false });
  const rfBn = net.bn('enc.rfBn', nfc(8), 8);
  const rf2 = net.conv('enc.rf2', 4, nfc(8), half, { out: 5, pad: 0, bias: false });
  // The linear heads are plain, as the official Discriminator's.
  const mu = net.dense('enc.mu', half * 25, Z, { sn: false });
  const logvar = net.dense('enc.logvar', half * 25, Z, { sn: false });
  // Excitation of a block's output by an earlier map: block -> [source, source channels, gated channels, gated size].
  const gates = new Map(
    (
      [
        ['down16', 'fromBig', nfc(512), nfc(64), 32],
        ['down32', 'down4', nfc(256), nfc(32), 16],
        ['down64', 'down8', nfc(128), nfc(16), 8],
      ] as const
    ).map(([block, source, cin, cout, size]) => [block as string, { source, se: seBlock(net, `enc.se.${block}`, cin, cout, size) }]),
  );

  function encode(p: Params, x: tf.Tensor): { mu: tf.Tensor2D; logvar: tf.Tensor2D } {
    const feats: Record<string, tf.Tensor4D> = {};
    let h = lrelu(fromBig(p, x as tf.Tensor4D));
    feats.fromBig = h;
    for (const { name, block } of downs) {
      h = block(p, h);
      const gate = gates.get(name);
      if (gate) h = gate.se(p, feats[gate.source]!, h);
      feats[name] = h;
    }
    const rf = rf2(p, lrelu(rfBn(p, rf1(p, h))));
    // PyTorch flattens [B, C, H, W]: channel-major, so the linear heads' weights keep their layout.
    const flat = rf.transpose([0, 3, 1, 2]).reshape([rf.shape[0], -1]) as tf.Tensor2D;
    return { mu: mu(p, flat), logvar: logvar(p, flat) };
  }
  return { net, encode };
}

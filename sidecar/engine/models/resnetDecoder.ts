/**
 * The official ResNet18Dec (models/res.py) for 64x64 images (its dataset "celeba"
 * branch: sc_factor 2): linear z -> 512, as a 1x1 map upsampled x4 to 4x4; layer4,
 * layer3, layer2 (each a stride-1 BasicBlockDec, then a stride-2 one that halves the
 * channels: 512 -> 256 -> 128 -> 64 at 8, 16, 32 pixels), layer1 (two stride-1 blocks
 * at 64 channels), a resize convolution x2 to the image channels, sigmoid.
 * BasicBlockDec: relu(bn2(conv2(x))) -> bn1(conv1(.)) + shortcut(x) -> relu, where a
 * stride-2 block's conv1 and shortcut are resize convolutions (nearest x2, conv 3x3 with
 * bias; the shortcut + BN). Init: initialize_weights, N(0, 0.02²) and zero biases.
 *
 * Two readings of the official module, both deliberate:
 * - Output: the official sigmoid gives [0, 1]; the project's images live in [-1, 1], so
 *   the decoder returns 2·sigmoid - 1 (the same network; bench/official compares so).
 * - Noise injection: the official forward adds 0.1·N(0, 1) per pixel (shared by the
 *   channels) to the 4x4 map and to the outputs of layer4, layer3 and layer2, fresh on
 *   every call. Here the noise is an input (`noise`, four [B, s, s, 1] maps for s = 4, 8,
 *   16, 32) so that the decoder stays a pure function: training and sampling draw it from
 *   their seeded streams (models/noise.ts); without it the decoder injects none
 *   (restoration's chains, the energy's views of samples; docs/paper-setting.md).
 */
import * as tf from '../core/tf.ts';
import { leakyRelu } from '../ops/elementwise.ts';
import type { Params } from '../core/params.ts';
import { INIT_002, Net } from './net.ts';
import { noiseInjection, upsampleNearest } from './paperLayers.ts';

export const RESNET_DEC_SIZE = 64;
/** NoiseInjection's constant weight in models/res.py. */
export const NOISE_WEIGHT = 0.1;
/** The sizes of the maps the official forward injects noise into. */
export const NOISE_SIZES = [4, 8, 16, 32] as const;

const relu = <T extends tf.Tensor>(x: T): T => leakyRelu(x, 0);

/**
 * ResizeConv2d: nearest upsampling by `scale`, then a 3x3 convolution (stride 1,
 * padding 1, with bias) writing an outSize² map.
 */
export function resizeConv(net: Net, name: string, cin: number, cout: number, scale: number, outSize: number) {
  const conv = net.conv(name, 3, cin, cout, { out: outSize, init: INIT_002 });
  return (p: Params, x: tf.Tensor4D): tf.Tensor4D => conv(p, upsampleNearest(x, scale));
}

/**
 * BasicBlockDec at `size` output pixels: relu(bn2(conv2(x))) -> bn1(conv1(.)) + shortcut(x)
 * -> relu; with stride 2, conv1 and the shortcut (+ BN) are x2 resize convolutions to
 * `cout` channels, with stride 1 conv1 is a plain conv at cin channels.
 */
function blockDec(net: Net, n: string, cin: number, cout: number, size: number, stride: number) {
  const inSize = size / stride;
  const planes = stride === 1 ? cin : cout;
  const conv2 = net.conv(`${n}.conv2`, 3, cin, cin, { out: inSize, bias: false, init: INIT_002 });
  const bn2 = net.bn(`${n}.bn2`, cin, inSize);
  net.elementwise(stride * stride * cin * inSize * inSize); // the resize conv's upsampled input
  const conv1 =
    stride === 1
      ? net.conv(`${n}.conv1`, 3, cin, planes, { out: size, bias: false, init: INIT_002 })
      : resizeConv(net, `${n}.conv1`, cin, planes, stride, size);
  const bn1 = net.bn(`${n}.bn1`, planes, size);
  const shortcut =
    stride === 1 ? undefined : { conv: resizeConv(net, `${n}.shortcut`, cin, planes, stride, size), bn: net.bn(`${n}.shortcutBn`, planes, size) };
  return (p: Params, x: tf.Tensor4D): tf.Tensor4D => {
    const out = bn1(p, conv1(p, relu(bn2(p, conv2(p, x)))));
    return relu(out.add(shortcut ? shortcut.bn(p, shortcut.conv(p, x)) : x));
  };
}

export function resnet18Decoder(o: { latentDim: number; channels: number; ch: (n: number) => number; sn: boolean }) {
  const top = o.ch(512);
  const net = new Net(o.sn);
  const linear = net.dense('dec.linear', o.latentDim, top, { init: INIT_002 });
  // [layer, in channels, out channels, output size, stride of its second block]
  const layers = (
    [
      ['layer4', top, o.ch(256), 8, 2],
      ['layer3', o.ch(256), o.ch(128), 16, 2],
      ['layer2', o.ch(128), o.ch(64), 32, 2],
      ['layer1', o.ch(64), o.ch(64), 32, 1],
    ] as const
  ).map(([name, cin, cout, size, stride]) =>
    // _make_layer runs the strides reversed: block 0 has stride 1 at cin, block 1 the layer's stride.
    // Block 0 runs on size / stride maps; the memory estimate counts it at `size`, on the safe side.
    [blockDec(net, `dec.${name}.0`, cin, cout, size, 1), blockDec(net, `dec.${name}.1`, cin, cout, size, stride)],
  );
  const out = resizeConv(net, 'dec.out', o.ch(64), o.channels, 2, RESNET_DEC_SIZE);

  /** The decoder; `noise` (four maps, NOISE_SIZES) adds NOISE_WEIGHT·noise where the official forward injects it. */
  function decode(p: Params, z: tf.Tensor2D, noise?: tf.Tensor4D[]): tf.Tensor {
    const inject = (h: tf.Tensor4D, i: number): tf.Tensor4D => (noise ? noiseInjection(h, noise[i]!, NOISE_WEIGHT) : h);
    let h = inject(upsampleNearest(linear(p, z).reshape([z.shape[0], 1, 1, top]), 4), 0);
    layers.forEach((blocks, i) => {
      for (const block of blocks) h = block(p, h);
      if (i < 3) h = inject(h, i + 1);
    });
    return tf.sigmoid(out(p, h)).mul(2).sub(1);
  }
  return { net, decode };
}

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
import { batchNorm, convLayer, denseLayer, noiseInjection, resizeConv, upsampleNearest, type LayerOptions } from './paperLayers.ts';
import { INIT_002, SpecList } from './specList.ts';

export const RESNET_DEC_SIZE = 64;
/** NoiseInjection's constant weight in models/res.py. */
export const NOISE_WEIGHT = 0.1;
/** The sizes of the maps the official forward injects noise into. */
export const NOISE_SIZES = [4, 8, 16, 32] as const;

const relu = <T extends tf.Tensor>(x: T): T => leakyRelu(x, 0);

export function resnet18Decoder(o: { latentDim: number; channels: number; ch: (n: number) => number; sn: boolean }) {
  const top = o.ch(512);
  // [layer, in channels, out channels, output size, stride of its second block]
  const layers: [string, number, number, number, number][] = [
    ['layer4', top, o.ch(256), 8, 2],
    ['layer3', o.ch(256), o.ch(128), 16, 2],
    ['layer2', o.ch(128), o.ch(64), 32, 2],
    ['layer1', o.ch(64), o.ch(64), 32, 1],
  ];
  const dec = new SpecList(o.sn);
  dec.dense('dec.linear', o.latentDim, top, INIT_002);
  for (const [name, cin, cout, size, stride] of layers) {
    // _make_layer runs the strides reversed: block 0 has stride 1 at cin, block 1 the layer's stride.
    [1, stride].forEach((s, j) => {
      const n = `dec.${name}.${j}`;
      const inSize = size / s;
      const planes = s === 1 ? cin : cout;
      dec.conv(`${n}.conv2`, 3, cin, cin, inSize, false, INIT_002);
      dec.bn(`${n}.bn2`, cin, inSize);
      dec.elementwise(s * s * cin * inSize * inSize); // the resize conv's upsampled input
      dec.conv(`${n}.conv1`, 3, cin, planes, size, s !== 1, INIT_002);
      dec.bn(`${n}.bn1`, planes, size);
      if (s !== 1) {
        dec.conv(`${n}.shortcut`, 3, cin, planes, size, true, INIT_002);
        dec.bn(`${n}.shortcutBn`, planes, size);
      }
    });
  }
  dec.conv('dec.out', 3, o.ch(64), o.channels, RESNET_DEC_SIZE, true, INIT_002);
  const opt: LayerOptions = { sn: o.sn };

  function block(p: Params, n: string, x: tf.Tensor4D, stride: number): tf.Tensor4D {
    let out = relu(batchNorm(p, `${n}.bn2`, convLayer(p, `${n}.conv2`, x, { stride: 1, pad: 1 }, opt)));
    out = batchNorm(p, `${n}.bn1`, resizeConv(p, `${n}.conv1`, out, stride, opt));
    const shortcut = stride === 1 ? x : batchNorm(p, `${n}.shortcutBn`, resizeConv(p, `${n}.shortcut`, x, stride, opt));
    return relu(out.add(shortcut));
  }

  /** The decoder; `noise` (four maps, NOISE_SIZES) adds NOISE_WEIGHT·noise where the official forward injects it. */
  function decode(p: Params, z: tf.Tensor2D, noise?: tf.Tensor4D[]): tf.Tensor {
    const inject = (h: tf.Tensor4D, i: number): tf.Tensor4D => (noise ? noiseInjection(h, noise[i]!, NOISE_WEIGHT) : h);
    let h = inject(upsampleNearest(denseLayer(p, 'dec.linear', z, opt).reshape([z.shape[0], 1, 1, top]), 4), 0);
    layers.forEach(([name, , , , stride], i) => {
      h = block(p, `dec.${name}.0`, h, 1);
      h = block(p, `dec.${name}.1`, h, stride);
      if (i < 3) h = inject(h, i + 1);
    });
    return tf
      .sigmoid(resizeConv(p, 'dec.out', h, 2, opt))
      .mul(2)
      .sub(1);
  }
  return { list: dec, decode };
}

/**
 * The official ResNet18Enc (models/res.py) as a VAE encoder: conv 3x3 stride 2, BN, ReLU;
 * BasicBlocks [2, 2, 2, 2] at d, 2d, 4d, 8d channels (dim_h d = 128; the first block of
 * stages 2-4 has stride 2 and a 1x1 conv + BN shortcut); global mean; linear -> tanh = mu;
 * linear -> logvar (use_vae = True, as fast_vae_32 builds it). Every conv and linear is
 * initialised N(0, 0.02²) with zero biases: ResNet18Enc's constructor calls
 * initialize_weights. It pools globally, so the same layers serve 32x32 and 64x64 inputs.
 */
import * as tf from '../core/tf.ts';
import { leakyRelu } from '../ops/elementwise.ts';
import { spatialMean } from '../ops/resample.ts';
import type { Params } from '../core/params.ts';
import { INIT_002, Net } from './net.ts';

export interface Encoder {
  net: Net;
  encode(p: Params, x: tf.Tensor): { mu: tf.Tensor2D; logvar: tf.Tensor2D };
}

const relu = <T extends tf.Tensor>(x: T): T => leakyRelu(x, 0);

/** BasicBlock: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), the shortcut a 1x1 conv + BN where the block strides. */
function basicBlock(net: Net, n: string, cin: number, planes: number, stride: number, size: number) {
  const conv1 = net.conv(`${n}.conv1`, 3, cin, planes, { out: size, stride, bias: false, init: INIT_002 });
  const bn1 = net.bn(`${n}.bn1`, planes, size);
  const conv2 = net.conv(`${n}.conv2`, 3, planes, planes, { out: size, bias: false, init: INIT_002 });
  const bn2 = net.bn(`${n}.bn2`, planes, size);
  const shortcut =
    stride === 1
      ? undefined
      : { conv: net.conv(`${n}.shortcut`, 1, cin, planes, { out: size, stride, bias: false, init: INIT_002 }), bn: net.bn(`${n}.shortcutBn`, planes, size) };
  return (p: Params, x: tf.Tensor4D): tf.Tensor4D => {
    const out = bn2(p, conv2(p, relu(bn1(p, conv1(p, x)))));
    return relu(out.add(shortcut ? shortcut.bn(p, shortcut.conv(p, x)) : x));
  };
}

/** `ch` scales an official channel count by the width factor. */
export function resnet18Encoder(o: { size: number; channels: number; latentDim: number; ch: (n: number) => number; sn: boolean }): Encoder {
  const d = o.ch(128);
  const first = o.size / 2;
  const net = new Net(o.sn);
  const conv1 = net.conv('enc.conv1', 3, o.channels, d, { out: first, stride: 2, bias: false, init: INIT_002 });
  const bn1 = net.bn('enc.bn1', d, first);
  // Stages of two blocks at d, 2d, 4d, 8d channels; the first block of stages 2-4 halves the map.
  const blocks = [0, 1, 2, 3].flatMap((i) => {
    const planes = d * 2 ** i,
      size = Math.max(1, first / 2 ** i);
    return [0, 1].map((j) => basicBlock(net, `enc.layer${i + 1}.${j}`, j === 0 && i > 0 ? planes / 2 : planes, planes, j === 0 && i > 0 ? 2 : 1, size));
  });
  const mu = net.dense('enc.mu', 8 * d, o.latentDim, { init: INIT_002 });
  const logvar = net.dense('enc.logvar', 8 * d, o.latentDim, { init: INIT_002 });

  function encode(p: Params, x: tf.Tensor): { mu: tf.Tensor2D; logvar: tf.Tensor2D } {
    let h = relu(bn1(p, conv1(p, x as tf.Tensor4D)));
    for (const block of blocks) h = block(p, h);
    const pooled = spatialMean(h);
    return { mu: tf.tanh(mu(p, pooled)), logvar: logvar(p, pooled) };
  }
  return { net, encode };
}

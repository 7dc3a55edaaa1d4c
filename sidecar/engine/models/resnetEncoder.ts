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
import { batchNorm, convLayer, denseLayer } from './paperLayers.ts';
import { INIT_002, SpecList } from './specList.ts';

export interface Encoder {
  list: SpecList;
  encode(p: Params, x: tf.Tensor): { mu: tf.Tensor2D; logvar: tf.Tensor2D };
}

const relu = <T extends tf.Tensor>(x: T): T => leakyRelu(x, 0);

/** `ch` scales an official channel count by the width factor. */
export function resnet18Encoder(o: { size: number; channels: number; latentDim: number; ch: (n: number) => number; sn: boolean }): Encoder {
  const d = o.ch(128);
  const first = o.size / 2;
  const stages = [0, 1, 2, 3].map((i) => ({ planes: d * 2 ** i, stride: i === 0 ? 1 : 2, size: Math.max(1, first / 2 ** i) }));
  const enc = new SpecList(o.sn);
  enc.conv('enc.conv1', 3, o.channels, d, first, false, INIT_002);
  enc.bn('enc.bn1', d, first);
  let inPlanes = d;
  stages.forEach((s, i) => {
    for (let j = 0; j < 2; j++) {
      const n = `enc.layer${i + 1}.${j}`;
      const cin = j === 0 ? inPlanes : s.planes;
      enc.conv(`${n}.conv1`, 3, cin, s.planes, s.size, false, INIT_002);
      enc.bn(`${n}.bn1`, s.planes, s.size);
      enc.conv(`${n}.conv2`, 3, s.planes, s.planes, s.size, false, INIT_002);
      enc.bn(`${n}.bn2`, s.planes, s.size);
      if (j === 0 && s.stride !== 1) {
        enc.conv(`${n}.shortcut`, 1, cin, s.planes, s.size, false, INIT_002);
        enc.bn(`${n}.shortcutBn`, s.planes, s.size);
      }
    }
    inPlanes = s.planes;
  });
  enc.dense('enc.mu', 8 * d, o.latentDim, INIT_002);
  enc.dense('enc.logvar', 8 * d, o.latentDim, INIT_002);
  const opt = { sn: o.sn };

  function encode(p: Params, x: tf.Tensor): { mu: tf.Tensor2D; logvar: tf.Tensor2D } {
    let h = relu(batchNorm(p, 'enc.bn1', convLayer(p, 'enc.conv1', x as tf.Tensor4D, { stride: 2, pad: 1 }, opt)));
    stages.forEach((s, i) => {
      for (let j = 0; j < 2; j++) {
        const n = `enc.layer${i + 1}.${j}`;
        const stride = j === 0 ? s.stride : 1;
        let out = relu(batchNorm(p, `${n}.bn1`, convLayer(p, `${n}.conv1`, h, { stride, pad: 1 }, opt)));
        out = batchNorm(p, `${n}.bn2`, convLayer(p, `${n}.conv2`, out, { stride: 1, pad: 1 }, opt));
        const shortcut = stride === 1 ? h : batchNorm(p, `${n}.shortcutBn`, convLayer(p, `${n}.shortcut`, h, { stride, pad: 0 }, opt));
        h = relu(out.add(shortcut));
      }
    });
    const pooled = spatialMean(h);
    return { mu: tf.tanh(denseLayer(p, 'enc.mu', pooled, opt)), logvar: denseLayer(p, 'enc.logvar', pooled, opt) };
  }
  return { list: enc, encode };
}

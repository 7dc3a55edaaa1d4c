/**
 * The paper's 32x32 networks ("paper32"), with the structure of the official code
 * (github.com/DJ-LYH/EC-VAE, models/res.py, models/fastae.py, models/ebms.py; train_demo.py
 * picks them) and every channel count scaled by `widthFactor` (1 = the official sizes):
 *   Encoder (ResNet18Enc, dim_h 128): conv 3x3 s2, BN, ReLU; BasicBlocks [2,2,2,2] at
 *     d, 2d, 4d, 8d channels (the first block of stages 2-4 has stride 2 and a 1x1 conv + BN
 *     shortcut); global mean; linear -> tanh = mu; linear -> logvar.
 *   Decoder (Generator_32, ngf 64): z as a 1x1 map -> 4x4 transposed conv to 2·1024, BN,
 *     GLU; up to 8 (UpBlockComp), 16 (UpBlock), 32 (UpBlockComp): nearest x2, conv 3x3 to
 *     2·512, BN, GLU (Comp: twice); 1x1 conv -> tanh. No biases.
 *   Energy (MSResNet, layers [(128,2),(256,2),(256,2),(256,2)]): three branches on x,
 *     avgpool2(x), avgpool4(x), each a 3x3 stem and pre-activation ResBlocks (LeakyReLU 0.2;
 *     avgpool 2 before stages 2-4; 1x1 shortcut where channels change); LeakyReLU, global
 *     mean; the three concatenated -> linear 2048 -> LeakyReLU -> linear 1; / tau.
 * Spectral norm wraps every conv/linear of the networks `spectralNorm` names (official:
 * the decoder always, the energy with use_sn = True). At widthFactor 1, 3 channels and a
 * 128-d latent the trainable counts are the official ones (test/unit/paper32.test.ts).
 */
import * as tf from '../core/tf.ts';
import { PAPER32_SIZE } from '../config/sizes.ts';
import type { Params } from '../core/params.ts';
import { upBlock } from './fastgan.ts';
import { msResNetEnergy } from './msResNet.ts';
import { Net } from './net.ts';
import { glu } from './paperLayers.ts';
import { resnet18Encoder } from './resnetEncoder.ts';
import type { EcvaeModel } from './types.ts';

export type Network = 'encoder' | 'decoder' | 'energy';

/** The settings of the paper presets (paper32, paper64, paper256). */
export interface PaperArch {
  channels: number;
  latentDim: number;
  widthFactor: number;
  spectralNorm: Network[];
  temperature: number;
}

/** FastGAN's Generator_32 (nfc 4: 1024; 8, 16, 32: 512). */
function generator32(o: { latentDim: number; channels: number; ch: (n: number) => number; sn: boolean }) {
  const Z = o.latentDim,
    c4 = o.ch(1024),
    c8 = o.ch(512);
  const net = new Net(o.sn);
  const init = net.convT('dec.init', 4, Z, 2 * c4, { out: 4 });
  const initBn = net.bn('dec.init.bn', 2 * c4, 4);
  const ups = [upBlock(net, 'dec.up8', c4, c8, 8, true), upBlock(net, 'dec.up16', c8, c8, 16, false), upBlock(net, 'dec.up32', c8, c8, 32, true)];
  const out = net.conv('dec.out', 1, c8, o.channels, { out: PAPER32_SIZE, bias: false });

  function decode(p: Params, z: tf.Tensor2D): tf.Tensor {
    let h = glu(initBn(p, init(p, z.reshape([z.shape[0], 1, 1, Z]))));
    for (const up of ups) h = up(p, h);
    return tf.tanh(out(p, h));
  }
  return { net, decode };
}

export function paper32Model(a: PaperArch): EcvaeModel {
  const C = a.channels,
    Z = a.latentDim;
  const ch = (n: number): number => Math.max(1, Math.round(n * a.widthFactor));
  const snOn = (n: Network): boolean => a.spectralNorm.includes(n);
  const encoder = resnet18Encoder({ size: PAPER32_SIZE, channels: C, latentDim: Z, ch, sn: snOn('encoder') });
  const decoder = generator32({ latentDim: Z, channels: C, ch, sn: snOn('decoder') });
  const energy = msResNetEnergy({ size: PAPER32_SIZE, channels: C, ch, sn: snOn('energy'), temperature: a.temperature });
  return {
    kind: 'paper32',
    dataShape: [PAPER32_SIZE, PAPER32_SIZE, C],
    latentDim: Z,
    specs: { enc: encoder.net.specs, dec: decoder.net.specs, ebm: energy.net.specs },
    activationsPerExample: encoder.net.activations + decoder.net.activations + energy.net.activations + 2 * PAPER32_SIZE * PAPER32_SIZE * C,
    encode: encoder.encode,
    decode: decoder.decode,
    energy: energy.energy,
  };
}

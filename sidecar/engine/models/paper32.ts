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
import { upsample2 } from '../ops/resample.ts';
import type { Params } from '../core/params.ts';
import { msResNetEnergy } from './msResNet.ts';
import { batchNorm, convLayer, convTransposeLayer, glu } from './paperLayers.ts';
import { resnet18Encoder } from './resnetEncoder.ts';
import { SpecList } from './specList.ts';
import type { EcvaeModel } from './types.ts';

const S1 = { stride: 1, pad: 1 };
const PW = { stride: 1, pad: 0 };

export type Network = 'encoder' | 'decoder' | 'energy';

/** The settings of the paper presets (paper32, paper64, paper256). */
export interface PaperArch {
  channels: number;
  latentDim: number;
  widthFactor: number;
  spectralNorm: Network[];
  temperature: number;
}

export function paper32Model(a: PaperArch): EcvaeModel {
  const C = a.channels,
    Z = a.latentDim;
  const ch = (n: number): number => Math.max(1, Math.round(n * a.widthFactor));
  const snOn = (n: Network): boolean => a.spectralNorm.includes(n);

  const encoder = resnet18Encoder({ size: PAPER32_SIZE, channels: C, latentDim: Z, ch, sn: snOn('encoder') });

  // Decoder: FastGAN's Generator_32 (nfc 4: 1024, 8/16/32: 512).
  const c4 = ch(1024),
    c8 = ch(512);
  const ups = [
    { name: 'dec.up8', cin: c4, cout: c8, size: 8, comp: true },
    { name: 'dec.up16', cin: c8, cout: c8, size: 16, comp: false },
    { name: 'dec.up32', cin: c8, cout: c8, size: 32, comp: true },
  ];
  const dec = new SpecList(snOn('decoder'));
  dec.convT('dec.init', 4, Z, 2 * c4, 4);
  dec.bn('dec.init.bn', 2 * c4, 4);
  for (const u of ups) {
    dec.conv(`${u.name}.conv1`, 3, u.cin, 2 * u.cout, u.size, false);
    dec.bn(`${u.name}.bn1`, 2 * u.cout, u.size);
    if (u.comp) {
      dec.conv(`${u.name}.conv2`, 3, u.cout, 2 * u.cout, u.size, false);
      dec.bn(`${u.name}.bn2`, 2 * u.cout, u.size);
    }
  }
  dec.conv('dec.out', 1, c8, C, 32, false);

  const energy = msResNetEnergy({ size: PAPER32_SIZE, channels: C, ch, sn: snOn('energy'), temperature: a.temperature });

  const decOpt = { sn: snOn('decoder') };

  function decode(p: Params, z: tf.Tensor2D): tf.Tensor {
    let h = glu(batchNorm(p, 'dec.init.bn', convTransposeLayer(p, 'dec.init', z.reshape([z.shape[0], 1, 1, Z]), { stride: 1, pad: 0 }, decOpt)));
    for (const u of ups) {
      h = glu(batchNorm(p, `${u.name}.bn1`, convLayer(p, `${u.name}.conv1`, upsample2(h), S1, decOpt)));
      if (u.comp) h = glu(batchNorm(p, `${u.name}.bn2`, convLayer(p, `${u.name}.conv2`, h, S1, decOpt)));
    }
    return tf.tanh(convLayer(p, 'dec.out', h, PW, decOpt));
  }

  return {
    kind: 'paper32',
    dataShape: [PAPER32_SIZE, PAPER32_SIZE, C],
    latentDim: Z,
    specs: { enc: encoder.list.specs, dec: dec.specs, ebm: energy.list.specs },
    activationsPerExample: encoder.list.activations + dec.activations + energy.list.activations + 2 * PAPER32_SIZE * PAPER32_SIZE * C,
    encode: encoder.encode,
    decode,
    energy: energy.energy,
  };
}

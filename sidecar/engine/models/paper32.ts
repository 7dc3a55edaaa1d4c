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
import { avgPool2, spatialMean, upsample2 } from '../ops/resample.ts';
import { leakyRelu } from '../ops/elementwise.ts';
import type { ParamSpec, Params } from '../core/params.ts';
import { batchNorm, batchNormSpecs, convLayer, convTransposeLayer, denseLayer, glu, weightSpecs, type WeightInit } from './paperLayers.ts';
import { LEAK } from './layers.ts';
import type { EcvaeModel } from './types.ts';

export type Network = 'encoder' | 'decoder' | 'energy';

export interface Paper32Arch {
  channels: number;
  latentDim: number;
  widthFactor: number;
  spectralNorm: Network[];
  temperature: number;
}

/**
 * The official networks' trainable parameters at a 128-d latent and 3 channels, from
 * their layer shapes (weights, biases, BatchNorm scale and shift; PyTorch's
 * `parameters()`): what paper32 at widthFactor 1 must match.
 */
export const OFFICIAL_PARAMETER_COUNTS = { encoder: 44_915_072, decoder: 32_521_728, energy: 23_815_169 } as const;

/**
 * Tensors of one feature map's size that BatchNorm plus its nonlinearity keep for the
 * backward pass; calibrated on WASM heap growth (width factor 1/8: 1.17 GB at batch 16,
 * 2.12 GB at 32, i.e. about 60 MB per example), which counting layer outputs alone
 * underestimated threefold.
 */
const BN_ACT_TENSORS = 7;

const relu = <T extends tf.Tensor>(x: T): T => leakyRelu(x, 0);
const lrelu = <T extends tf.Tensor>(x: T): T => leakyRelu(x, LEAK);
const S1 = { stride: 1, pad: 1 };
const S2 = { stride: 2, pad: 1 };
const PW = { stride: 1, pad: 0 };

/** Collects one network's specs and the values its layers write per example (memory.ts). */
class SpecList {
  readonly specs: ParamSpec[] = [];
  activations = 0;
  constructor(private readonly sn: boolean) {}
  conv(name: string, k: number, cin: number, cout: number, outSize: number, bias: boolean, init?: WeightInit): void {
    this.specs.push(...weightSpecs(name, [k, k, cin, cout], k * k * cin, { bias, sn: this.sn, ...(init ? { init } : {}) }));
    this.activations += cout * outSize * outSize;
  }
  dense(name: string, nin: number, nout: number, init?: WeightInit): void {
    this.specs.push(...weightSpecs(name, [nin, nout], nin, { bias: true, sn: this.sn, ...(init ? { init } : {}) }));
    this.activations += nout;
  }
  /** BatchNorm and the nonlinearity after it: centred, squared, normalised, scaled, shifted values, then ReLU's slope and output or GLU's halves and gate. */
  bn(name: string, channels: number, outSize: number): void {
    this.specs.push(...batchNormSpecs(name, channels));
    this.activations += BN_ACT_TENSORS * channels * outSize * outSize;
  }
  /** Values per example of elementwise work the layers above do not count (pre-activations' LeakyReLU slope and output, residual sums). */
  elementwise(values: number): void {
    this.activations += values;
  }
}

export function paper32Model(a: Paper32Arch): EcvaeModel {
  const C = a.channels,
    Z = a.latentDim;
  const ch = (n: number): number => Math.max(1, Math.round(n * a.widthFactor));
  const snOn = (n: Network): boolean => a.spectralNorm.includes(n);

  // Encoder: ResNet-18 BasicBlocks; stage i has d·2^i channels at 16/2^i pixels.
  const d = ch(128);
  const stages = [0, 1, 2, 3].map((i) => ({ planes: d * 2 ** i, stride: i === 0 ? 1 : 2, size: 16 / 2 ** i }));
  const enc = new SpecList(snOn('encoder'));
  enc.conv('enc.conv1', 3, C, d, 16, false);
  enc.bn('enc.bn1', d, 16);
  let inPlanes = d;
  stages.forEach((s, i) => {
    for (let j = 0; j < 2; j++) {
      const n = `enc.layer${i + 1}.${j}`;
      const cin = j === 0 ? inPlanes : s.planes;
      enc.conv(`${n}.conv1`, 3, cin, s.planes, s.size, false);
      enc.bn(`${n}.bn1`, s.planes, s.size);
      enc.conv(`${n}.conv2`, 3, s.planes, s.planes, s.size, false);
      enc.bn(`${n}.bn2`, s.planes, s.size);
      if (j === 0 && s.stride !== 1) {
        enc.conv(`${n}.shortcut`, 1, cin, s.planes, s.size, false);
        enc.bn(`${n}.shortcutBn`, s.planes, s.size);
      }
    }
    inPlanes = s.planes;
  });
  enc.dense('enc.mu', 8 * d, Z);
  enc.dense('enc.logvar', 8 * d, Z);

  // Decoder: FastGAN's Generator_32 (nfc 4: 1024, 8/16/32: 512).
  const c4 = ch(1024),
    c8 = ch(512);
  const ups = [
    { name: 'dec.up8', cin: c4, cout: c8, size: 8, comp: true },
    { name: 'dec.up16', cin: c8, cout: c8, size: 16, comp: false },
    { name: 'dec.up32', cin: c8, cout: c8, size: 32, comp: true },
  ];
  const dec = new SpecList(snOn('decoder'));
  dec.specs.push(...weightSpecs('dec.init', [4, 4, Z, 2 * c4], Z, { bias: false, sn: snOn('decoder') }));
  dec.activations += 2 * c4 * 16;
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

  // Energy: MSResNet; the official init is kaiming-normal (fan in, linear) for convs, N(0, 0.01^2) for linears, zero biases.
  const ebmStages: [number, number][] = [
    [ch(128), 2],
    [ch(256), 2],
    [ch(256), 2],
    [ch(256), 2],
  ];
  const last = ebmStages[3]![0];
  const ebm = new SpecList(snOn('energy'));
  const branchSizes = [32, 16, 8];
  for (let r = 0; r < 3; r++) {
    const size0 = branchSizes[r]!;
    let cin = ebmStages[0]![0];
    ebm.conv(`ebm.b${r}.stem`, 3, C, cin, size0, true, kaiming(3, C));
    ebmStages.forEach(([cout, blocks], i) => {
      const size = Math.max(1, size0 / 2 ** i);
      for (let j = 0; j < blocks; j++) {
        const n = `ebm.b${r}.s${i}.${j}`;
        ebm.conv(`${n}.conv1`, 3, cin, cout, size, true, kaiming(3, cin));
        ebm.conv(`${n}.conv2`, 3, cout, cout, size, true, kaiming(3, cout));
        ebm.elementwise((2 * cin + 3 * cout) * size * size); // LeakyReLU before each conv, the residual sum
        if (cin !== cout) ebm.conv(`${n}.shortcut`, 1, cin, cout, size, false, kaiming(1, cin));
        cin = cout;
      }
    });
  }
  ebm.dense('ebm.head1', 3 * last, ch(2048), { normalStd: 0.01 });
  ebm.dense('ebm.head2', ch(2048), 1, { normalStd: 0.01 });

  const encOpt = { sn: snOn('encoder') };
  const decOpt = { sn: snOn('decoder') };

  function encode(p: Params, x: tf.Tensor): { mu: tf.Tensor2D; logvar: tf.Tensor2D } {
    let h = relu(batchNorm(p, 'enc.bn1', convLayer(p, 'enc.conv1', x as tf.Tensor4D, S2, encOpt)));
    stages.forEach((s, i) => {
      for (let j = 0; j < 2; j++) {
        const n = `enc.layer${i + 1}.${j}`;
        const stride = j === 0 ? s.stride : 1;
        const g = { stride, pad: 1 };
        let out = relu(batchNorm(p, `${n}.bn1`, convLayer(p, `${n}.conv1`, h, g, encOpt)));
        out = batchNorm(p, `${n}.bn2`, convLayer(p, `${n}.conv2`, out, S1, encOpt));
        const shortcut = stride === 1 ? h : batchNorm(p, `${n}.shortcutBn`, convLayer(p, `${n}.shortcut`, h, { stride, pad: 0 }, encOpt));
        h = relu(out.add(shortcut));
      }
    });
    const pooled = spatialMean(h);
    return { mu: tf.tanh(denseLayer(p, 'enc.mu', pooled, encOpt)), logvar: denseLayer(p, 'enc.logvar', pooled, encOpt) };
  }

  function decode(p: Params, z: tf.Tensor2D): tf.Tensor {
    let h = glu(batchNorm(p, 'dec.init.bn', convTransposeLayer(p, 'dec.init', z.reshape([z.shape[0], 1, 1, Z]), { stride: 1, pad: 0 }, decOpt)));
    for (const u of ups) {
      h = glu(batchNorm(p, `${u.name}.bn1`, convLayer(p, `${u.name}.conv1`, upsample2(h), S1, decOpt)));
      if (u.comp) h = glu(batchNorm(p, `${u.name}.bn2`, convLayer(p, `${u.name}.conv2`, h, S1, decOpt)));
    }
    return tf.tanh(convLayer(p, 'dec.out', h, PW, decOpt));
  }

  function energy(p: Params, x: tf.Tensor, frozen = false): tf.Tensor1D {
    const o = { sn: snOn('energy'), frozen };
    const inputs = [x as tf.Tensor4D];
    inputs.push(avgPool2(inputs[0]!));
    inputs.push(avgPool2(inputs[1]!));
    const features = inputs.map((input, r) => {
      let h = convLayer(p, `ebm.b${r}.stem`, input, S1, o);
      let cin = ebmStages[0]![0];
      ebmStages.forEach(([cout, blocks], i) => {
        if (i > 0) h = avgPool2(h);
        for (let j = 0; j < blocks; j++) {
          const n = `ebm.b${r}.s${i}.${j}`;
          const shortcut = cin !== cout ? convLayer(p, `${n}.shortcut`, h, PW, o) : h;
          const inner = convLayer(p, `${n}.conv2`, lrelu(convLayer(p, `${n}.conv1`, lrelu(h), S1, o)), S1, o);
          h = inner.add(shortcut);
          cin = cout;
        }
      });
      return spatialMean(lrelu(h));
    });
    const e = denseLayer(p, 'ebm.head2', lrelu(denseLayer(p, 'ebm.head1', tf.concat(features, 1), o)), o);
    return e.reshape([-1]).div(a.temperature) as tf.Tensor1D;
  }

  return {
    kind: 'paper32',
    dataShape: [PAPER32_SIZE, PAPER32_SIZE, C],
    latentDim: Z,
    specs: { enc: enc.specs, dec: dec.specs, ebm: ebm.specs },
    activationsPerExample: enc.activations + dec.activations + ebm.activations + 2 * PAPER32_SIZE * PAPER32_SIZE * C,
    encode,
    decode,
    energy,
  };
}

/** kaiming_normal_(fan_in, nonlinearity linear): N(0, 1/fanIn), the official energy's conv init. */
function kaiming(k: number, cin: number): WeightInit {
  return { normalStd: 1 / Math.sqrt(k * k * cin) };
}

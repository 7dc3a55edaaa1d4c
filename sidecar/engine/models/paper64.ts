/**
 * The paper's 64x64 networks ("paper64", CelebA-64), every channel count scaled by
 * `widthFactor` (1 = the official sizes):
 *   Encoder: ResNet18Enc (resnetEncoder.ts), as at 32x32 but one more halving of the map.
 *   Decoder: ResNet18Dec with its "celeba" branch (resnetDecoder.ts): 64x64 out.
 *   Energy: MSResNet (msResNet.ts) with train_demo.py's stages.
 * Why this pairing (docs/paper-setting.md has the evidence in full): models/res.py's
 * Res_AE pairs ResNet18Enc with ResNet18Dec, and ResNet18Dec sizes its last resize
 * convolution by args.dataset: 'celeba' (with 'bedroom', 'church') gets sc_factor 2,
 * i.e. 4 -> 8 -> 16 -> 32 -> 64 pixels, the CelebA-64 setting; 'celebahq' gets three x2
 * resize convolutions to 256. The FastGAN pair (fast_ae) is hard-wired to 256 (fastgan.ts).
 * Res_AE builds its encoder with use_vae = False and then reads the log-variance head it
 * did not build; the presets take ResNet18Enc with use_vae = True as fast_vae_32 does.
 * Spectral norm: neither official ResNet has any; the energy has it with use_sn.
 */
import { msResNetEnergy } from './msResNet.ts';
import type { PaperArch } from './paper32.ts';
import { NOISE_SIZES, resnet18Decoder, RESNET_DEC_SIZE } from './resnetDecoder.ts';
import { resnet18Encoder } from './resnetEncoder.ts';
import type { EcvaeModel } from './types.ts';

export const PAPER64_SIZE = RESNET_DEC_SIZE;

export function paper64Model(a: PaperArch): EcvaeModel {
  const ch = (n: number): number => Math.max(1, Math.round(n * a.widthFactor));
  const sn = (n: PaperArch['spectralNorm'][number]): boolean => a.spectralNorm.includes(n);
  const S = PAPER64_SIZE,
    C = a.channels;
  const encoder = resnet18Encoder({ size: S, channels: C, latentDim: a.latentDim, ch, sn: sn('encoder') });
  const decoder = resnet18Decoder({ latentDim: a.latentDim, channels: C, ch, sn: sn('decoder') });
  const energy = msResNetEnergy({ size: S, channels: C, ch, sn: sn('energy'), temperature: a.temperature });
  return {
    kind: 'paper64',
    dataShape: [S, S, C],
    latentDim: a.latentDim,
    specs: { enc: encoder.list.specs, dec: decoder.list.specs, ebm: energy.list.specs },
    activationsPerExample: encoder.list.activations + decoder.list.activations + energy.list.activations + 2 * S * S * C,
    encode: encoder.encode,
    decode: decoder.decode,
    decoderNoise: NOISE_SIZES.map((s) => [s, s, 1]),
    energy: energy.energy,
  };
}

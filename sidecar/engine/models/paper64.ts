/**
 * The paper's 64x64 networks ("paper64", CelebA-64), every channel count scaled by
 * `widthFactor` (1 = the official sizes):
 *   Encoder: ResNet18Enc (resnetEncoder.ts), as at 32x32 but one more halving of the map.
 *   Decoder: ResNet18Dec with its "celeba" branch (resnetDecoder.ts): 64x64 out.
 *   Energy: MSResNet (msResNet.ts) with train_demo.py's stages (paperPreset.ts).
 * Why this pairing (docs/paper-setting.md has the evidence in full): models/res.py's
 * Res_AE pairs ResNet18Enc with ResNet18Dec, and ResNet18Dec sizes its last resize
 * convolution by args.dataset: 'celeba' (with 'bedroom', 'church') gets sc_factor 2,
 * i.e. 4 -> 8 -> 16 -> 32 -> 64 pixels, the CelebA-64 setting; 'celebahq' gets three x2
 * resize convolutions to 256. The FastGAN pair (fast_ae) is hard-wired to 256 (fastgan.ts).
 * Res_AE builds its encoder with use_vae = False and then reads the log-variance head it
 * did not build; the presets take ResNet18Enc with use_vae = True as fast_vae_32 does.
 * Spectral norm: neither official ResNet has any; the energy has it with use_sn.
 */
import type { PaperArch } from './paper32.ts';
import { paperPreset } from './paperPreset.ts';
import { NOISE_SIZES, resnet18Decoder, RESNET_DEC_SIZE } from './resnetDecoder.ts';
import { resnet18Encoder } from './resnetEncoder.ts';
import type { EcvaeModel } from './types.ts';

export const PAPER64_SIZE = RESNET_DEC_SIZE;

export function paper64Model(a: PaperArch): EcvaeModel {
  return paperPreset('paper64', PAPER64_SIZE, a, ({ channels, latentDim, ch, sn }) => ({
    encoder: resnet18Encoder({ size: PAPER64_SIZE, channels, latentDim, ch, sn: sn('encoder') }),
    decoder: resnet18Decoder({ latentDim, channels, ch, sn: sn('decoder') }),
    decoderNoise: NOISE_SIZES.map((s) => [s, s, 1]),
  }));
}

/**
 * The paper's 256x256 networks ("paper256", CelebA-HQ-256), every channel count scaled
 * by `widthFactor` (1 = the official sizes):
 *   Encoder: FastGAN's Discriminator as fast_ae uses it (fastgan.ts).
 *   Decoder: FastGAN's Generator at im_size 256 (fastgan.ts).
 *   Energy: MSResNet (msResNet.ts) with train_demo.py's stages (paperPreset.ts).
 * Why this pairing (docs/paper-setting.md): fast_ae builds Generator(nz) and
 * Discriminator(num_latent) with their defaults, im_size 256; the Discriminator's head
 * is hard-wired to a 5x5 map (Linear(num_latent/2·5·5)), which only a 256 input gives
 * (256 / 2^5 = 8, then the 4x4 valid conv), and utils.generate_ special-cases
 * 'celebahq' (batch 50). The official code ships no pixel-space energy for 256 and skips
 * pixel-space refinement for celebahq (its latent-space energy is latent_ebm,
 * latentEbm.ts); the preset calibrates with the official MSResNet, which pools globally.
 * Spectral norm: the official FastGAN networks normalise every conv (not the encoder's
 * linear heads); list "encoder" and "decoder" in model.spectralNorm to match them.
 */
import { fastganEncoder, fastganGenerator, FASTGAN_SIZE } from './fastgan.ts';
import type { PaperArch } from './paper32.ts';
import { paperPreset } from './paperPreset.ts';
import type { EcvaeModel } from './types.ts';

export const PAPER256_SIZE = FASTGAN_SIZE;

export function paper256Model(a: PaperArch): EcvaeModel {
  return paperPreset('paper256', PAPER256_SIZE, a, ({ channels, latentDim, ch, sn }) => ({
    encoder: fastganEncoder({ latentDim, channels, ch, sn: sn('encoder') }),
    decoder: fastganGenerator({ latentDim, channels, ch, sn: sn('decoder') }),
  }));
}

/**
 * The paper presets by name (model.kind paper32, paper64, paper256) and the official
 * networks' trainable parameter counts at a 128-d latent and 3 channels, measured by
 * instantiating the official modules with Debian's PyTorch 1.13
 * (bench/official/export_official.py; test/unit/paper-presets.test.ts, paper32.test.ts).
 */
import type { PaperKind } from '../config/sizes.ts';
import { paper256Model } from './paper256.ts';
import { paper32Model, type PaperArch } from './paper32.ts';
import { paper64Model } from './paper64.ts';
import type { EcvaeModel } from './types.ts';

export interface OfficialCounts {
  encoder: number;
  decoder: number;
  energy: number;
  /** The official modules these are the counts of. */
  modules: string;
  /** Official weights the presets leave out, and why (counted in the numbers above). */
  unused?: { count: number; why: string };
}

export const OFFICIAL_COUNTS: Record<PaperKind, OfficialCounts> = {
  paper32: { encoder: 44_915_072, decoder: 32_521_728, energy: 23_815_169, modules: 'ResNet18Enc, Generator_32, MSResNet' },
  paper64: { encoder: 44_915_072, decoder: 12_610_115, energy: 23_815_169, modules: 'ResNet18Enc, ResNet18Dec (celeba), MSResNet' },
  paper256: {
    encoder: 9_134_064,
    decoder: 24_933_536,
    energy: 23_815_169,
    modules: 'Discriminator, Generator (im_size 256), MSResNet',
    unused: { count: 192, why: "the Generator's to_128, which its single-output forward never calls" },
  },
};

/** The official code's spectral norm per preset: paper32 decoder and energy, paper64 the energy (its ResNets have none), paper256 all three. */
export const OFFICIAL_SPECTRAL_NORM: Record<PaperKind, PaperArch['spectralNorm']> = {
  paper32: ['decoder', 'energy'],
  paper64: ['energy'],
  paper256: ['encoder', 'decoder', 'energy'],
};

export function paperModel(kind: PaperKind, a: PaperArch): EcvaeModel {
  return kind === 'paper32' ? paper32Model(a) : kind === 'paper64' ? paper64Model(a) : paper256Model(a);
}

/**
 * What the 64- and 256-pixel presets share: channel counts scaled by `widthFactor`,
 * spectral norm per network from `model.spectralNorm`, train_demo.py's MSResNet energy,
 * and the model record around the encoder and decoder each preset pairs with it.
 */
import { msResNetEnergy } from './msResNet.ts';
import type { Network, PaperArch } from './paper32.ts';
import type { Encoder } from './resnetEncoder.ts';
import type { Net } from './net.ts';
import type { EcvaeModel } from './types.ts';

export interface PresetParts {
  channels: number;
  latentDim: number;
  ch: (n: number) => number;
  sn: (n: Network) => boolean;
}

export interface PresetNets {
  encoder: Encoder;
  decoder: { net: Net; decode: EcvaeModel['decode'] };
  /** The noise maps the decoder injects, when it injects any (EcvaeModel.decoderNoise). */
  decoderNoise?: number[][];
}

export function paperPreset(kind: 'paper64' | 'paper256', size: number, a: PaperArch, nets: (o: PresetParts) => PresetNets): EcvaeModel {
  const ch = (n: number): number => Math.max(1, Math.round(n * a.widthFactor));
  const sn = (n: Network): boolean => a.spectralNorm.includes(n);
  const C = a.channels;
  const { encoder, decoder, decoderNoise } = nets({ channels: C, latentDim: a.latentDim, ch, sn });
  const energy = msResNetEnergy({ size, channels: C, ch, sn: sn('energy'), temperature: a.temperature });
  return {
    kind,
    dataShape: [size, size, C],
    latentDim: a.latentDim,
    specs: { enc: encoder.net.specs, dec: decoder.net.specs, ebm: energy.net.specs },
    activationsPerExample: encoder.net.activations + decoder.net.activations + energy.net.activations + 2 * size * size * C,
    encode: encoder.encode,
    decode: decoder.decode,
    ...(decoderNoise ? { decoderNoise } : {}),
    energy: energy.energy,
  };
}

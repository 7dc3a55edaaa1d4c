/**
 * Sizes of a model family's three networks: trainable parameters (what PyTorch's
 * `parameters()` counts) and buffers (running statistics, spectral-norm vectors) apart,
 * from the specs alone, so a full-width model is sized without allocating it.
 */
import { isBufferName, type ParamSpec } from '../core/params.ts';
import type { EcvaeModel } from './types.ts';

export interface NetworkSize {
  parameters: number;
  /** Values stored beside the parameters but never trained: buffers and fixed tensors (Fourier frequencies). */
  buffers: number;
}

export interface ModelSummary {
  kind: EcvaeModel['kind'];
  dataShape: number[];
  latentDim: number;
  encoder: NetworkSize;
  decoder: NetworkSize;
  energy: NetworkSize;
  /** Trainable parameters of all three networks. */
  parameters: number;
}

function size(specs: ParamSpec[]): NetworkSize {
  const count = (keep: (s: ParamSpec) => boolean): number => specs.filter(keep).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  const held = (s: ParamSpec): boolean => isBufferName(s.name) || s.fixed === true;
  return { parameters: count((s) => !held(s)), buffers: count(held) };
}

export function summarizeModel(m: EcvaeModel): ModelSummary {
  const encoder = size(m.specs.enc),
    decoder = size(m.specs.dec),
    energy = size(m.specs.ebm);
  return {
    kind: m.kind,
    dataShape: m.dataShape,
    latentDim: m.latentDim,
    encoder,
    decoder,
    energy,
    parameters: encoder.parameters + decoder.parameters + energy.parameters,
  };
}

export const millions = (n: number): string => (n >= 1e5 ? `${(n / 1e6).toFixed(2)} M` : n.toLocaleString('en-US'));

/** One line per network, for the CLI's human output. */
export function describeSummary(s: ModelSummary): string {
  const line = (name: string, n: NetworkSize): string =>
    `  ${name.padEnd(8)} ${millions(n.parameters).padStart(10)}${n.buffers ? `  (+ ${millions(n.buffers)} stored values)` : ''}`;
  return [
    `${s.kind} model for examples of shape [${s.dataShape.join(', ')}], latent ${s.latentDim}:`,
    line('encoder', s.encoder),
    line('decoder', s.decoder),
    line('energy', s.energy),
    `  total    ${millions(s.parameters).padStart(10)} trainable parameters`,
  ].join('\n');
}

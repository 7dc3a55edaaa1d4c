import type { FourierConfig, ModelConfig } from '../config/config.generated.ts';
import { autoLevels, isPaperKind, PAPER_SIZES } from '../config/sizes.ts';
import { convModel } from './conv.ts';
import { withInit } from './init.ts';
import { mlpModel, type FourierFeatures } from './mlp.ts';
import { paperModel } from './paperPresets.ts';
import { flowModel, withFlowPrior } from './prior.ts';
import type { FlowArch } from './realnvp.ts';
import type { EcvaeModel } from './types.ts';
import { UserError } from '../../runLayout/errors.ts';

export type { EcvaeModel } from './types.ts';
export { generateFrom } from './prior.ts';

type FlowSettings = Omit<FlowArch, 'dim'>;

/** Builds the model family a config asks for, for data of the given example shape, with its prior. */
export function buildModel(m: ModelConfig, dataShape: number[]): EcvaeModel {
  // Read only where used: checkpoints written before these fields existed lack them.
  const flow = (): FlowSettings => ({ blocks: m.flow.blocks, hidden: m.flow.hidden, batchNorm: m.flow.batchNorm });
  if (m.kind === 'flow') {
    // The generator is the flow; the energy is the one the VAE family for this data would have.
    const family = withInit(familyModel({ ...m, kind: 'auto' }, dataShape), m.init);
    return flowModel(family, flow(), m.flow.dequantize ?? (dataShape.length === 3 ? 2 / 255 : 0));
  }
  // m.init is absent in the configs of runs written before it existed; only a new run's start reads it.
  const model = withInit(familyModel(m, dataShape), m.init);
  return m.prior === 'realnvp' ? withFlowPrior(model, flow()) : model;
}

function familyModel(m: ModelConfig, dataShape: number[]): EcvaeModel {
  const isImage = dataShape.length === 3;
  const kind = m.kind === 'auto' ? (isImage ? 'conv' : 'mlp') : m.kind;
  if (kind === 'conv') {
    if (!isImage) throw new UserError('config', 'model.kind "conv" needs image data; use "mlp" for 2-D data.');
    const [size, , channels] = dataShape as [number, number, number];
    const levels = m.levels ?? autoLevels(size);
    if (size % 2 ** levels !== 0) throw new UserError('config', `Image size ${size} is not divisible by 2^model.levels = ${2 ** levels}.`);
    const ebmWidth = m.ebmWidth !== undefined ? { ebmWidth: m.ebmWidth } : {};
    // m.ebmHead is absent in the configs of runs written before it existed: their energy is the mean head.
    const ebmHead = m.ebmHead ?? 'mean';
    return convModel({
      size,
      channels,
      width: m.width,
      ...ebmWidth,
      ebmHead,
      levels,
      latentDim: m.latentDim,
      ebmHidden: m.ebmHidden,
      temperature: m.temperature,
    });
  }
  if (isPaperKind(kind)) {
    const [size, , channels] = dataShape as [number, number, number];
    const want = PAPER_SIZES[kind];
    if (!isImage || size !== want)
      throw new UserError('config', `model.kind "${kind}" needs ${want}x${want} images; the data has shape [${dataShape.join(', ')}].`);
    const arch = { channels, latentDim: m.latentDim, widthFactor: m.widthFactor, spectralNorm: m.spectralNorm, temperature: m.temperature };
    return paperModel(kind, arch);
  }
  return mlpModel({
    dataShape,
    hidden: m.hidden,
    depth: m.depth,
    latentDim: m.latentDim,
    temperature: m.temperature,
    energyFourier: resolveFourier(m.energyFourier, dataShape),
    decoderFourier: resolveFourier(m.decoderFourier, dataShape),
  });
}

/** Vector data of at most this many dimensions gets Fourier features under "auto". */
const FOURIER_AUTO_MAX_DIMS = 16;
const FOURIER_AUTO_COUNT = 64;

/**
 * The features an mlp model uses. An absent field (a checkpoint written before these
 * fields existed) means off, so old checkpoints load with the architecture they had.
 */
export function resolveFourier(f: FourierConfig | undefined, dataShape: number[]): FourierFeatures {
  if (!f) return { count: 0, sigma: 1 };
  if (f.count !== 'auto') return { count: f.count, sigma: f.sigma };
  const auto = dataShape.length === 1 && dataShape[0]! <= FOURIER_AUTO_MAX_DIMS;
  return { count: auto ? FOURIER_AUTO_COUNT : 0, sigma: f.sigma };
}

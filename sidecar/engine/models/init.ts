/**
 * model.init: how a model's weights start, applied to its declared ParamSpecs.
 *   "pytorch": every conv and linear weight and bias U(±1/√fanIn), PyTorch's layer
 *     default (a transposed convolution's fanIn is cout·k·k, as PyTorch reads it from the
 *     weight's second axis: net.ts convT).
 *   "official": each network as the official code initialises the network in its role:
 *     the encoder as ResNet18Enc (initialize_weights: N(0, 0.02²) weights, zero biases),
 *     the energy as MSResNet (kaiming-normal fan-in convs, N(0, 0.01²) linears, zero
 *     biases), the decoder as Generator_32 (PyTorch's default). The paper presets declare
 *     exactly this, layer by layer (resnetEncoder.ts, msResNet.ts, resnetDecoder.ts); for the
 *     generic conv and mlp models the roles are applied here.
 *   "auto": official for the paper presets, pytorch for conv and mlp.
 * Fixed tensors (Fourier frequencies), buffers (BatchNorm statistics, spectral-norm
 * vectors), BatchNorm's scale and shift and weights declared with a constant keep their
 * declaration. Only the start changes: checkpoints load whatever the setting.
 */
import type { ParamSpec } from '../core/params.ts';
import type { EcvaeModel } from './types.ts';

export type InitSetting = 'auto' | 'pytorch' | 'official';
type Role = 'enc' | 'dec' | 'ebm';

/** The official encoder's weights: models/res.py initialize_weights. */
export const OFFICIAL_ENCODER_STD = 0.02;
/** The official energy's linear weights: models/ebms.py MSResNet. */
export const OFFICIAL_ENERGY_LINEAR_STD = 0.01;

function isPaper(kind: EcvaeModel['kind']): boolean {
  return kind === 'paper32' || kind === 'paper64' || kind === 'paper256';
}

/** A conv or linear weight or bias whose start this setting decides. */
function layerTensor(s: ParamSpec): 'w' | 'b' | undefined {
  if (s.fixed || s.buffer) return undefined;
  if (s.name.endsWith('.w')) return s.init === undefined ? 'w' : undefined;
  return s.name.endsWith('.b') ? 'b' : undefined;
}

function pytorchDefault(s: ParamSpec): ParamSpec {
  if (!layerTensor(s)) return s;
  const { normalStd: _n, init: _i, ...rest } = s;
  return rest;
}

function officialRole(role: Role, s: ParamSpec): ParamSpec {
  const t = layerTensor(s);
  if (!t || role === 'dec') return s;
  if (t === 'b') return { ...pytorchDefault(s), init: 0 };
  const std = role === 'enc' ? OFFICIAL_ENCODER_STD : s.shape.length === 4 ? 1 / Math.sqrt(s.fanIn) : OFFICIAL_ENERGY_LINEAR_STD;
  return { ...pytorchDefault(s), normalStd: std };
}

/** The model with its encoder, decoder and energy specs initialised as `setting` says. */
export function withInit(model: EcvaeModel, setting: InitSetting = 'auto'): EcvaeModel {
  const scheme = setting === 'auto' ? (isPaper(model.kind) ? 'official' : 'pytorch') : setting;
  // The paper presets declare the official init; the generic models declare PyTorch's.
  if (scheme === (isPaper(model.kind) ? 'official' : 'pytorch')) return model;
  const map = (role: Role, specs: ParamSpec[]): ParamSpec[] => specs.map((s) => (scheme === 'pytorch' ? pytorchDefault(s) : officialRole(role, s)));
  return { ...model, specs: { enc: map('enc', model.specs.enc), dec: map('dec', model.specs.dec), ebm: map('ebm', model.specs.ebm) } };
}

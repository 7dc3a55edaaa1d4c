/**
 * Declares one network's parameters (ParamSpec list) and counts the float values its
 * layers write per example, for the memory estimate (memory.ts). The paper presets
 * (paper32, paper64, paper256) declare every layer through it, in the order the official
 * PyTorch modules register them, so a weight export from the official code maps onto
 * ours in order (bench/official/).
 */
import type { ParamSpec } from '../core/params.ts';
import { batchNormSpecs, weightSpecs, type WeightInit } from './paperLayers.ts';

/**
 * Tensors of one feature map's size that BatchNorm plus its nonlinearity keep for the
 * backward pass; calibrated on WASM heap growth (paper32 at width factor 1/8: 1.17 GB at
 * batch 16, 2.12 GB at 32, i.e. about 60 MB per example), which counting layer outputs
 * alone underestimated threefold.
 */
const BN_ACT_TENSORS = 7;

/** torch.nn.init.normal_(0, 0.02) with zero biases: models/res.py initialize_weights. */
export const INIT_002: WeightInit = { normalStd: 0.02 };

/** kaiming_normal_(fan_in, nonlinearity linear): N(0, 1/fanIn), the official energy's conv init. */
export function kaiming(k: number, cin: number): WeightInit {
  return { normalStd: 1 / Math.sqrt(k * k * cin) };
}

export class SpecList {
  readonly specs: ParamSpec[] = [];
  activations = 0;
  constructor(readonly sn: boolean) {}
  /** A k x k convolution cin -> cout writing an outSize² map; `sn` overrides the network's spectral-norm setting for this layer. */
  conv(name: string, k: number, cin: number, cout: number, outSize: number, bias: boolean, init?: WeightInit, sn = this.sn): void {
    this.specs.push(...weightSpecs(name, [k, k, cin, cout], k * k * cin, { bias, sn, ...(init ? { init } : {}) }));
    this.activations += cout * outSize * outSize;
  }
  /**
   * A transposed convolution [k, k, cin, cout]. PyTorch computes a ConvTranspose2d
   * weight's default init bound from its second axis (cout·k·k), not from cin.
   */
  convT(name: string, k: number, cin: number, cout: number, outSize: number): void {
    this.specs.push(...weightSpecs(name, [k, k, cin, cout], cout * k * k, { bias: false, sn: this.sn }));
    this.activations += cout * outSize * outSize;
  }
  dense(name: string, nin: number, nout: number, init?: WeightInit, sn = this.sn): void {
    this.specs.push(...weightSpecs(name, [nin, nout], nin, { bias: true, sn, ...(init ? { init } : {}) }));
    this.activations += nout;
  }
  /** BatchNorm and the nonlinearity after it: centred, squared, normalised, scaled, shifted values, then ReLU's slope and output or GLU's halves and gate. */
  bn(name: string, channels: number, outSize: number): void {
    this.specs.push(...batchNormSpecs(name, channels));
    this.activations += BN_ACT_TENSORS * channels * outSize * outSize;
  }
  /** Values per example of elementwise work the layers above do not count (activations, residual sums, resampling). */
  elementwise(values: number): void {
    this.activations += values;
  }
}

/**
 * A network declared once. Each layer a model declares on a `Net` adds its parameter
 * specs (in declaration order) and returns the layer's forward pass bound to those names,
 * so the spec list and the forward pass come from the same declarations:
 *   const conv1 = net.conv('enc.conv1', 3, C, d, { out: 16, stride: 2, bias: false });
 *   ...
 *   h = conv1(p, x);
 * The paper presets (paper32, paper64, paper256) declare their layers in the order the
 * official PyTorch modules register them, so a weight export from the official code maps
 * onto ours in order (bench/official/). A Net also counts the float values its layers
 * write per example, for the memory estimate (memory.ts).
 */
import * as tf from '../core/tf.ts';
import { fourierSpecs, param, type ParamSpec, type Params } from '../core/params.ts';
import type { ConvGeometry } from '../ops/conv.ts';
import { conv2dAfterLeaky } from '../ops/convLeaky.ts';
import { fourier } from './layers.ts';
import { batchNorm, batchNormSpecs, convLayer, convTransposeLayer, denseLayer, weightSpecs, type WeightInit } from './paperLayers.ts';

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

/** A declared layer: its forward pass, and the prefix its parameters are named by. */
type Bound<F> = F & { readonly name: string };
export type Conv = Bound<(p: Params, x: tf.Tensor4D) => tf.Tensor4D>;
export type Dense = Bound<(p: Params, x: tf.Tensor2D) => tf.Tensor2D> & {
  /** The stored weight and bias, for fused kernels that take them directly (ops/energyHead.ts). */
  tensors(p: Params): { w: tf.Tensor2D; b: tf.Tensor1D };
};
/** `running`: eval mode, normalised by the stored statistics (paperLayers.ts batchNorm). */
export type Norm = Bound<<T extends tf.Tensor>(p: Params, x: T, o?: { running?: boolean }) => T>;
export type Fourier = Bound<(p: Params, x: tf.Tensor2D) => tf.Tensor2D>;

export interface ConvOptions {
  /** Side of the output map, for the activation count. */
  out: number;
  stride?: number;
  /** Zero padding; defaults to "same" ((k - 1) / 2) for odd k and must be given for even k. */
  pad?: number;
  /** Default true, as torch.nn.Conv2d. */
  bias?: boolean;
  init?: WeightInit;
  /** Overrides the network's spectral-norm setting for this layer. */
  sn?: boolean;
}

export interface DenseOptions {
  init?: WeightInit;
  sn?: boolean;
}

/** `f` named `name` (a function's own name is read-only, so it is redefined), with `extra`'s members. */
const bind = <F extends object, E extends object>(name: string, f: F, extra?: E): Bound<F> & E =>
  Object.defineProperty(Object.assign(f, extra), 'name', { value: name }) as Bound<F> & E;

function geometry(name: string, k: number, o: { stride?: number; pad?: number }): ConvGeometry {
  if (o.pad === undefined && k % 2 === 0) throw new Error(`internal: ${name} is a ${k}x${k} convolution; give its padding`);
  return { stride: o.stride ?? 1, pad: o.pad ?? (k - 1) / 2 };
}

export class Net {
  readonly specs: ParamSpec[] = [];
  /** Float values one example's forward pass writes (memory.ts). */
  activations = 0;
  /** `sn`: spectral norm on every conv and linear unless a layer says otherwise. */
  constructor(readonly sn: boolean) {}

  /** A k x k convolution cin -> cout (weight [k, k, cin, cout]). */
  conv(name: string, k: number, cin: number, cout: number, o: ConvOptions): Conv {
    const bias = o.bias ?? true,
      sn = o.sn ?? this.sn,
      g = geometry(name, k, o);
    this.specs.push(...weightSpecs(name, [k, k, cin, cout], k * k * cin, { bias, sn, ...(o.init ? { init: o.init } : {}) }));
    this.activations += cout * o.out * o.out;
    return bind(name, (p: Params, x: tf.Tensor4D) => convLayer(p, name, x, g, { sn, bias }));
  }

  /**
   * conv(lrelu(x)), then a 2x2 average pool where `pool`, fused into one kernel where the
   * backend allows (ops/convLeaky.ts); no spectral norm.
   */
  convAfterLrelu(name: string, k: number, cin: number, cout: number, o: ConvOptions & { leak: number; pool: boolean }): Conv {
    if (o.sn ?? this.sn) throw new Error(`internal: ${name}: the fused leaky convolution has no spectral norm`);
    const g = geometry(name, k, o);
    this.specs.push(...weightSpecs(name, [k, k, cin, cout], k * k * cin, { bias: true, sn: false, ...(o.init ? { init: o.init } : {}) }));
    this.activations += cout * o.out * o.out;
    return bind(name, (p: Params, x: tf.Tensor4D) =>
      conv2dAfterLeaky(x, param(p, `${name}.w`) as tf.Tensor4D, param(p, `${name}.b`) as tf.Tensor1D, g, o.leak, o.pool),
    );
  }

  /**
   * A transposed convolution [k, k, cin, cout], without bias. PyTorch computes a
   * ConvTranspose2d weight's default init bound from its second axis (cout·k·k), not from cin.
   */
  convT(name: string, k: number, cin: number, cout: number, o: { out: number; stride?: number; pad?: number }): Conv {
    const sn = this.sn,
      g = { stride: o.stride ?? 1, pad: o.pad ?? 0 };
    this.specs.push(...weightSpecs(name, [k, k, cin, cout], cout * k * k, { bias: false, sn }));
    this.activations += cout * o.out * o.out;
    return bind(name, (p: Params, x: tf.Tensor4D) => convTransposeLayer(p, name, x, g, { sn, bias: false }));
  }

  /** A linear layer nin -> nout with bias (weight [nin, nout]). */
  dense(name: string, nin: number, nout: number, o: DenseOptions = {}): Dense {
    const sn = o.sn ?? this.sn;
    this.specs.push(...weightSpecs(name, [nin, nout], nin, { bias: true, sn, ...(o.init ? { init: o.init } : {}) }));
    this.activations += nout;
    return bind(name, (p: Params, x: tf.Tensor2D) => denseLayer(p, name, x, { sn, bias: true }), {
      tensors: (p: Params) => ({ w: param(p, `${name}.w`) as tf.Tensor2D, b: param(p, `${name}.b`) as tf.Tensor1D }),
    });
  }

  /** BatchNorm over `channels` on outSize² maps, and the nonlinearity after it: centred, squared, normalised, scaled, shifted values, then ReLU's slope and output or GLU's halves and gate. */
  bn(name: string, channels: number, outSize: number): Norm {
    this.specs.push(...batchNormSpecs(name, channels));
    this.activations += BN_ACT_TENSORS * channels * outSize * outSize;
    return bind(name, <T extends tf.Tensor>(p: Params, x: T, o: { running?: boolean } = {}) => batchNorm(p, name, x, o));
  }

  /** Random Fourier features of nin-d rows: `count` fixed frequencies ~ N(0, sigma²) (layers.ts fourier). */
  fourier(name: string, nin: number, count: number, sigma: number): Fourier {
    this.specs.push(...fourierSpecs(name, nin, count, sigma));
    return bind(name, (p: Params, x: tf.Tensor2D) => fourier(p, name, x));
  }

  /** Values per example of elementwise work the layers above do not count (activations, residual sums, resampling). */
  elementwise(values: number): void {
    this.activations += values;
  }
}

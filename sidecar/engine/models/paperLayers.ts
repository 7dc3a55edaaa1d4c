/**
 * The layers of the paper's 32x32 networks (models/paper32.ts) that the small generic
 * models do without: BatchNorm in training mode, GLU, spectral normalisation, residual
 * blocks' building parts, and layers without a bias. Each is a pure function of
 * (params, inputs); the state BatchNorm and spectral norm keep is a buffer (buffers.ts).
 */
import * as tf from '../core/tf.ts';
import type { ConvGeometry } from '../ops/conv.ts';
import { conv2d } from '../ops/conv.ts';
import { channelHalves } from '../ops/channelHalves.ts';
import { convTranspose2d } from '../ops/convTranspose.ts';
import { denseOp } from '../ops/dense.ts';
import { spectralNormalize, unit } from '../ops/spectralNorm.ts';
import { upsample2 } from '../ops/resample.ts';
import { param, type ParamSpec, type Params } from '../core/params.ts';
import { collectingBuffers, currentBuffer, evalMode, proposeBuffer } from './buffers.ts';

/** PyTorch's BatchNorm defaults: running = (1 - m)·running + m·batch, and eps. */
const BN_MOMENTUM = 0.1;
const BN_EPS = 1e-5;

export interface LayerOptions {
  /** Divide the weight by its largest singular value (spectral_norm in the official code). */
  sn: boolean;
  /** Whether the layer has a bias `${name}.b`; unset, it has one where `p` holds it. */
  bias?: boolean;
}

/**
 * How a weight is initialised: PyTorch's default uniform; N(0, std^2) with a zero bias
 * (the official code's inits); or `zero`, weight and bias 0 (a flow's last layer, so a
 * new flow is the identity).
 */
export type WeightInit = { normalStd?: number; zero?: boolean };

/** Specs of a weight [..., fanIn-part, cout], its optional bias and its spectral-norm vector. */
export function weightSpecs(name: string, shape: number[], fanIn: number, o: { bias: boolean; sn: boolean; init?: WeightInit }): ParamSpec[] {
  const cout = shape[shape.length - 1]!;
  const weight = o.init?.zero ? { init: 0 } : o.init?.normalStd !== undefined ? { normalStd: o.init.normalStd } : {};
  const specs: ParamSpec[] = [{ name: `${name}.w`, shape, fanIn, ...weight }];
  if (o.bias) specs.push({ name: `${name}.b`, shape: [cout], fanIn, ...(o.init?.zero || o.init?.normalStd !== undefined ? { init: 0 } : {}) });
  if (o.sn) specs.push({ name: `${name}.snU`, shape: [cout], fanIn: 1, normalStd: 1, buffer: true });
  return specs;
}

/** BatchNorm's scale (1), shift (0) and running statistics (mean 0, variance 1), as PyTorch initialises them. */
export function batchNormSpecs(name: string, channels: number): ParamSpec[] {
  return [
    { name: `${name}.gamma`, shape: [channels], fanIn: 1, init: 1 },
    { name: `${name}.beta`, shape: [channels], fanIn: 1, init: 0 },
    { name: `${name}.runningMean`, shape: [channels], fanIn: 1, init: 0, buffer: true },
    { name: `${name}.runningVar`, shape: [channels], fanIn: 1, init: 1, buffer: true },
  ];
}

/**
 * W / sigma(W) with sigma from one power iteration per forward pass, as
 * torch.nn.utils.spectral_norm in training mode (ops/spectralNorm.ts); the new u is
 * proposed as the buffer's value.
 */
export function spectralWeight(p: Params, name: string): tf.Tensor {
  const { weight, u } = spectralNormalize(param(p, `${name}.w`), currentBuffer(p, `${name}.snU`));
  proposeBuffer(`${name}.snU`, u);
  return weight;
}

/**
 * Every spectral-norm vector of `p` after `iterations` more power iterations
 * (u <- unit(M^T unit(M u)), the step spectralWeight takes once per pass): new tensors by
 * buffer name, for applyBufferUpdates. The trainer runs the iterations the official
 * code's SGLD passes would have run (algorithm/trainer.ts).
 */
export function advancedSpectralNorms(p: Params, iterations: number): Params {
  const out: Params = {};
  for (const name of Object.keys(p)) {
    if (!name.endsWith('.snU')) continue;
    const layer = name.slice(0, -'.snU'.length);
    out[name] = tf.tidy(() => {
      const w = param(p, `${layer}.w`);
      const cout = w.shape[w.shape.length - 1]!;
      const m = w.reshape([-1, cout]) as tf.Tensor2D;
      let u = p[name]!.reshape([cout, 1]) as tf.Tensor2D;
      for (let i = 0; i < iterations; i++) u = unit(tf.matMul(m, unit(tf.matMul(m, u)), true, false));
      return u.reshape([cout]);
    });
  }
  return out;
}

/** The weight a layer multiplies by: spectrally normalised where `sn`. */
function weightOf(p: Params, name: string, o: LayerOptions): tf.Tensor {
  return o.sn ? spectralWeight(p, name) : param(p, `${name}.w`);
}

function biasOf(p: Params, name: string, channels: number, o: LayerOptions): tf.Tensor1D {
  if (o.bias === false) return tf.zeros([channels]);
  return o.bias ? (param(p, `${name}.b`) as tf.Tensor1D) : ((p[`${name}.b`] as tf.Tensor1D | undefined) ?? tf.zeros([channels]));
}

export function convLayer(p: Params, name: string, x: tf.Tensor4D, g: ConvGeometry, o: LayerOptions): tf.Tensor4D {
  const w = weightOf(p, name, o);
  return conv2d(x, w as tf.Tensor4D, biasOf(p, name, w.shape[3]!, o), g);
}

export function convTransposeLayer(p: Params, name: string, x: tf.Tensor4D, g: ConvGeometry, o: LayerOptions): tf.Tensor4D {
  const w = weightOf(p, name, o);
  return convTranspose2d(x, w as tf.Tensor4D, biasOf(p, name, w.shape[3]!, o), g);
}

export function denseLayer(p: Params, name: string, x: tf.Tensor2D, o: LayerOptions): tf.Tensor2D {
  const w = weightOf(p, name, o);
  return denseOp(x, w as tf.Tensor2D, biasOf(p, name, w.shape[1]!, o));
}

/**
 * BatchNorm in training mode (the official code never switches to eval mode; `running`,
 * or a pass inside `inEvalMode` (buffers.ts: sampling, restoration), asks for eval mode
 * instead): normalised
 * with the batch's own mean and biased variance over all axes but channels; the running
 * statistics (unbiased variance, momentum 0.1) are proposed as buffer updates so that
 * they are checkpointed as PyTorch keeps them.
 */
export function batchNorm<T extends tf.Tensor>(p: Params, name: string, x: T, o: { running?: boolean } = {}): T {
  if (o.running || evalMode()) {
    // Eval mode: the stored statistics, the same for every batch (the flows' sampling passes).
    const scale = param(p, `${name}.gamma`).mul(param(p, `${name}.runningVar`).add(BN_EPS).rsqrt());
    return x
      .sub(param(p, `${name}.runningMean`))
      .mul(scale)
      .add(param(p, `${name}.beta`)) as T;
  }
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const mean = x.mean(axes);
  const centred = x.sub(mean);
  const variance = centred.square().mean(axes);
  if (collectingBuffers()) {
    const count = x.size / mean.size;
    const running = (buffer: string, batch: tf.Tensor): tf.Tensor =>
      currentBuffer(p, `${name}.${buffer}`)
        .mul(1 - BN_MOMENTUM)
        .add(batch.mul(BN_MOMENTUM));
    proposeBuffer(`${name}.runningMean`, running('runningMean', mean));
    proposeBuffer(`${name}.runningVar`, running('runningVar', variance.mul(count / Math.max(1, count - 1))));
  }
  return centred
    .mul(variance.add(BN_EPS).rsqrt())
    .mul(param(p, `${name}.gamma`))
    .add(param(p, `${name}.beta`)) as T;
}

/** Gated linear unit over channels (FastGAN's GLU): first half · sigmoid(second half). */
export function glu(x: tf.Tensor4D): tf.Tensor4D {
  const [a, b] = channelHalves(x);
  return a.mul(tf.sigmoid(b));
}

/** Swish x·sigmoid(x) (FastGAN's skip-layer excitation). */
export function swish<T extends tf.Tensor>(x: T): T {
  return x.mul(tf.sigmoid(x)) as T;
}

/**
 * torch.nn.AdaptiveAvgPool2d(out) for a map whose size is a multiple of `out`: the mean
 * of each (size/out)² window. FastGAN pools to 4x4 from maps of 4 to 256 pixels.
 */
export function adaptiveAvgPool(x: tf.Tensor4D, out: number): tf.Tensor4D {
  const size = x.shape[1];
  if (size % out !== 0 || x.shape[2] !== size) throw new Error(`internal: adaptive pool from ${size}x${x.shape[2]} to ${out}x${out}`);
  const k = size / out;
  if (k === 1) return x;
  // A mean over reshaped windows: its gradient is a broadcast, where AvgPool's is a slow
  // generic kernel on WASM (FastGAN's encoder pools 256x256 maps in 64x64 windows).
  const [b, , , c] = x.shape;
  return x.reshape([b, out, k, out, k, c]).mean([2, 4]) as tf.Tensor4D;
}

/**
 * Nearest-neighbour upsampling by an integer factor (F.interpolate(mode="nearest") with
 * scale_factor s): each pixel repeated s x s, as a broadcast.
 */
export function upsampleNearest(x: tf.Tensor4D, s: number): tf.Tensor4D {
  if (s === 1) return x;
  if (s % 2 === 0) return upsampleNearest(upsample2(x), s / 2);
  const [b, h, w, c] = x.shape;
  return x
    .reshape([b, h, 1, w, 1, c])
    .mul(tf.ones([1, 1, s, 1, s, 1]))
    .reshape([b, h * s, w * s, c]);
}

/**
 * Noise injection (models/res.py NoiseInjection): feat + weight·noise with one noise
 * value per pixel shared by all channels. The noise [B, H, W, 1] is an input, so the
 * layer is a pure function; weight is a constant (0.1: "learned noise is useless").
 */
export function noiseInjection(x: tf.Tensor4D, noise: tf.Tensor4D, weight: number): tf.Tensor4D {
  return x.add(noise.mul(weight));
}

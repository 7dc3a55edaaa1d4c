/**
 * Parameters are plain named tensors. A model is a set of pure functions of
 * (params, inputs), so gradients, checkpoints and finite-difference tests all work on
 * the same flat maps.
 */
import * as tf from './tf.ts';
import { deriveSeed, normalStream, uniformStream } from './rng.ts';

export type Params = Record<string, tf.Tensor>;

export interface ParamSpec {
  name: string;
  shape: number[];
  /** Inputs feeding one output unit; sets the init range U(-1/sqrt(fanIn), 1/sqrt(fanIn)) (PyTorch's default). */
  fanIn: number;
  /** Initialise from N(0, normalStd^2) instead (random Fourier frequencies). */
  normalStd?: number;
  /**
   * A fixed random tensor (e.g. Fourier frequencies): stored and shipped like a parameter,
   * but the layer that reads it passes no gradient to it, so Adam leaves it exactly as
   * initialised (zero gradient, zero moments, zero step).
   */
  fixed?: boolean;
  /** Initialise every value to this constant (BatchNorm scale 1 and shift 0, zero biases). */
  init?: number;
  /**
   * State, not a parameter: BatchNorm's running statistics, spectral norm's power-iteration
   * vector. Checkpointed with the parameters, never differentiated (its gradient is zero, so
   * Adam leaves it alone); the layer that owns it proposes a new value on each training
   * forward pass (models/buffers.ts) and the trainer writes it after the step.
   */
  buffer?: boolean;
}

/** Deterministic initialisation: each tensor's values depend only on (seed, its name). */
export function initParams(specs: ParamSpec[], seed: number): Params {
  const out: Params = {};
  for (const s of specs) {
    const stream = deriveSeed(seed, ...Array.from(s.name, (c) => c.charCodeAt(0)));
    const size = s.shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(size);
    if (s.init !== undefined) {
      v.fill(s.init);
    } else if (s.normalStd !== undefined) {
      const g = normalStream(stream);
      for (let i = 0; i < size; i++) v[i] = g() * s.normalStd;
    } else {
      const u = uniformStream(stream);
      const bound = 1 / Math.sqrt(s.fanIn);
      for (let i = 0; i < size; i++) v[i] = (2 * u() - 1) * bound;
    }
    out[s.name] = tf.tensor(v, s.shape);
  }
  return out;
}

/**
 * Random Fourier frequencies B [nin, count] ~ N(0, sigma^2), fixed (see ParamSpec.fixed).
 */
export function fourierSpecs(name: string, nin: number, count: number, sigma: number): ParamSpec[] {
  return [{ name: `${name}.B`, shape: [nin, count], fanIn: nin, normalStd: sigma, fixed: true }];
}

export function disposeParams(p: Params): void {
  for (const t of Object.values(p)) t.dispose();
}

/**
 * Loss value and its gradient with respect to every tensor of `p`, by name. Buffers
 * (isBufferName) are passed as constants and get a zero gradient.
 */
export function valueAndParamGrads(p: Params, loss: (q: Params) => tf.Scalar): { value: tf.Scalar; grads: Params } {
  const names = Object.keys(p).filter((n) => !isBufferName(n));
  const buffers = Object.keys(p).filter(isBufferName);
  const constants = Object.fromEntries(buffers.map((n) => [n, p[n]!]));
  const { value, grads } = tf.valueAndGrads((...ts: tf.Tensor[]) => loss({ ...constants, ...Object.fromEntries(names.map((n, i) => [n, ts[i]!])) }))(
    names.map((n) => p[n]!),
  );
  return { value, grads: Object.fromEntries([...names.map((n, i) => [n, grads[i]!]), ...buffers.map((n) => [n, tf.zerosLike(p[n]!)])]) };
}

/**
 * Buffer tensors are named by their role so that every map of tensors (checkpoints,
 * gradients, thread messages) can tell them apart without the specs.
 */
const BUFFER_SUFFIXES = ['.runningMean', '.runningVar', '.snU'] as const;

export function isBufferName(name: string): boolean {
  return BUFFER_SUFFIXES.some((s) => name.endsWith(s));
}

/** True when every parameter is finite (one fused reduction, one read-back). */
export function allFinite(p: Params): boolean {
  const bad = tf.tidy(() => tf.addN(Object.values(p).map((t) => tf.logicalNot(tf.isFinite(t)).sum())));
  const n = bad.dataSync()[0]!;
  bad.dispose();
  return n === 0;
}

export function param(p: Params, name: string): tf.Tensor {
  const t = p[name];
  if (!t) throw new Error(`internal: missing parameter "${name}"`);
  return t;
}

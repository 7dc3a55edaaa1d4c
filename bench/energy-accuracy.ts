/**
 * Accuracy of the WASM fast path against the cpu backend (plain float32 direct
 * convolutions), on the paper32 energy (models/msResNet.ts via the paper32 preset) at a
 * width factor: its value and its input gradient (what every SGLD step uses) for each
 * kernel build (relaxed SIMD with FMA, plain SIMD), and, to find where the error comes
 * from, each of its 3x3 convolution shapes alone (forward and input gradient through the
 * conv op, which takes Winograd F(4x4,3x3) on WASM where it suits). Errors are
 * norm-relative, |a - b|₂ / |b|₂, and largest-element, max|a - b| / max|b|.
 * Prints one JSON line.
 *   npm run bench:accuracy -- [--width-factor 1] [--batch 2] [--seed 0] [--path sgld|trainable] [--no-layers]
 */
import { parseArgs } from 'node:util';
import { selectBackend } from '../sidecar/engine/core/backend.ts';
import { withDefaults } from '../sidecar/engine/config/config.ts';
import { initParams, type Params } from '../sidecar/engine/core/params.ts';
import { normalStream } from '../sidecar/engine/core/rng.ts';
import * as tf from '../sidecar/engine/core/tf.ts';
import { buildModel } from '../sidecar/engine/models/index.ts';
import { conv2d } from '../sidecar/engine/ops/conv.ts';
import { withFilterCache } from '../sidecar/engine/ops/filterCache.ts';
import { kernelVariant, useKernelVariant, type KernelVariant } from '../sidecar/engine/ops/wasmKernels.ts';

console.log = console.error; // keep stdout for the JSON result

const { values } = parseArgs({
  options: {
    'width-factor': { type: 'string', default: '1' },
    batch: { type: 'string', default: '2' },
    seed: { type: 'string', default: '0' },
    'no-layers': { type: 'boolean' },
    // sgld: no parameter gradients (as inside the chains); trainable: the energy as its own update differentiates it
    path: { type: 'string', default: 'sgld' },
  },
});
const widthFactor = Number(values['width-factor']);
const B = Number(values.batch);
const seed = Number(values.seed);
if (values.path !== 'sgld' && values.path !== 'trainable') throw new Error(`--path takes sgld or trainable (got "${values.path}")`);
const frozen = values.path === 'sgld';

const cfg = withDefaults({
  data: { kind: 'cifar10', path: '.', size: 32 },
  model: { kind: 'paper32', latentDim: 128, widthFactor, spectralNorm: ['decoder', 'energy'], temperature: 1e-5 },
});
const model = buildModel(cfg.model, [32, 32, 3]);

/** N(0, scale²) values from a seeded stream: the same numbers on every backend. */
function seeded(shape: number[], s: number, scale = 1): Float32Array {
  const g = normalStream(s);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * g());
}

/** The energy; on the sgld path as SGLD calls it, without gradients with respect to its parameters (the third argument, where the model takes it). */
const sgldEnergy = (p: Params, x: tf.Tensor): tf.Tensor1D => (model.energy as (p: Params, x: tf.Tensor, frozen?: boolean) => tf.Tensor1D)(p, x, frozen);

/** The energy's values and input gradient at seeded images in [-1, 1], on the active backend (filter cache on, as inside SGLD). */
function energyAndGrad(perturbation = 0): { e: Float32Array; g: Float32Array } {
  const p = initParams(model.specs.ebm, seed);
  const noise = seeded([B, 32, 32, 3], seed + 2, perturbation);
  const x = tf.tensor4d(
    seeded([B, 32, 32, 3], seed + 1).map((v, i) => Math.tanh(v) + noise[i]!),
    [B, 32, 32, 3],
  );
  const out = withFilterCache(() =>
    tf.tidy(() => {
      const grad = tf.grad((v: tf.Tensor) => sgldEnergy(p, v).sum() as tf.Scalar)(x);
      return { e: sgldEnergy(p, x).dataSync() as Float32Array, g: grad.dataSync() as Float32Array };
    }),
  );
  tf.dispose([x, ...Object.values(p)]);
  return out;
}

function errors(a: ArrayLike<number>, b: ArrayLike<number>): { norm_rel: number; max_rel: number } {
  let d2 = 0,
    b2 = 0,
    dMax = 0,
    bMax = 0;
  for (let i = 0; i < b.length; i++) {
    const d = a[i]! - b[i]!;
    d2 += d * d;
    b2 += b[i]! * b[i]!;
    dMax = Math.max(dMax, Math.abs(d));
    bMax = Math.max(bMax, Math.abs(b[i]!));
  }
  return { norm_rel: Number(Math.sqrt(d2 / b2).toExponential(2)), max_rel: Number((dMax / bMax).toExponential(2)) };
}

/** The energy's 3x3 stride-1 convolutions at this width: [size, Ci, Co] (branches at 32, 16, 8; stages halve the size). */
function convShapes(): [number, number, number][] {
  const ch = (n: number): number => Math.max(1, Math.round(n * widthFactor));
  const stages = [ch(128), ch(256), ch(256), ch(256)];
  const out = new Map<string, [number, number, number]>();
  for (const size0 of [32, 16, 8])
    stages.forEach((co, i) => {
      const size = size0 / 2 ** i;
      const cin = i === 0 ? stages[0]! : stages[i - 1]!;
      if (size >= 1) for (const s of [[size, cin, co] as [number, number, number], [size, co, co] as [number, number, number]]) out.set(s.join(), s);
    });
  return [...out.values()];
}

/** One conv's output and input gradient (for a seeded dy) on the active backend, with the filter cache on. */
function convPass(size: number, ci: number, co: number): { y: Float32Array; dx: Float32Array } {
  return withFilterCache(() =>
    tf.tidy(() => {
      const x = tf.tensor4d(seeded([B, size, size, ci], 11), [B, size, size, ci]);
      const w = tf.tensor4d(seeded([3, 3, ci, co], 12, 1 / Math.sqrt(9 * ci)), [3, 3, ci, co]);
      const b = tf.zeros([co]) as tf.Tensor1D;
      const dy = tf.tensor4d(seeded([B, size, size, co], 13), [B, size, size, co]);
      const g = { stride: 1, pad: 1 };
      const y = conv2d(x, w, b, g).dataSync() as Float32Array;
      const dx = tf
        .grad(
          (v: tf.Tensor) =>
            conv2d(v as tf.Tensor4D, w, b, g)
              .mul(dy)
              .sum() as tf.Scalar,
        )(x)
        .dataSync() as Float32Array;
      return { y, dx };
    }),
  );
}

/**
 * How far the gradient itself moves when the images move by N(0, PERTURBATION²) (a few
 * float32 roundings of a pixel in [-1, 1]; an SGLD step's noise is 1e-3 at the paper's step
 * size): leaky ReLUs whose input is that close to 0 switch slope, so this is the floor
 * below which no float32 implementation can agree with another.
 */
const PERTURBATION = 1e-6;
await selectBackend('cpu');
const ref = energyAndGrad();
const refMoved = energyAndGrad(PERTURBATION);
const layerRefs = values['no-layers'] ? [] : convShapes().map((s) => ({ s, r: convPass(...s) }));
await selectBackend('wasm');
const variants: KernelVariant[] = ['simd'];
try {
  useKernelVariant('relaxed');
  variants.unshift('relaxed');
} catch {
  // this runtime has no relaxed SIMD
}
const results: Record<string, unknown> = {};
for (const v of variants) {
  useKernelVariant(v);
  const t0 = performance.now();
  const got = energyAndGrad();
  results[v] = {
    kernels: kernelVariant(),
    seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
    energy: errors(got.e, ref.e),
    input_grad: errors(got.g, ref.g),
    input_grad_moved_images: errors(energyAndGrad(PERTURBATION).g, got.g),
    layers: layerRefs.map(({ s, r }) => {
      const got = convPass(...s);
      return { size: s[0], ci: s[1], co: s[2], forward: errors(got.y, r.y), input_grad: errors(got.dx, r.dx) };
    }),
  };
  console.error(
    JSON.stringify({ [v]: { energy: (results[v] as { energy: unknown }).energy, input_grad: (results[v] as { input_grad: unknown }).input_grad } }),
  );
}
useKernelVariant('auto');
process.stdout.write(
  JSON.stringify({
    model: 'paper32',
    width_factor: widthFactor,
    batch: B,
    seed,
    path: values.path,
    reference: 'cpu backend (float32)',
    perturbation: PERTURBATION,
    reference_moved_images: errors(refMoved.g, ref.g),
    ...results,
  }) + '\n',
);

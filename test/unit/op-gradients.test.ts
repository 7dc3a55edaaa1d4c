/**
 * Our registered ops (ops/policy.ts) and their lazy gradients: for every op and every
 * input, a finite-difference check of that input's gradient alone, on the WASM backend
 * (our kernels where the shapes suit) and on cpu (the generic composition), with
 * tf.memory().numTensors flat; and, by counting calls of the gradient passes, that the
 * tape runs only the thunks of the inputs being differentiated: no input gradient when
 * only parameters are (an objective's data), no filter gradient when only the input is
 * (SGLD) — per op, and through the models' objectives and energy gradient.
 */
import { mock, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { conv2d, convGradients } from '../../sidecar/engine/ops/conv.ts';
import { conv2dAfterLeaky, leakyConvGradients } from '../../sidecar/engine/ops/convLeaky.ts';
import { convTranspose2d, convTransposeGradients } from '../../sidecar/engine/ops/convTranspose.ts';
import { denseGradients, denseOp } from '../../sidecar/engine/ops/dense.ts';
import { fusedHead, fusedHeadSuits, headGradients, type HeadWeights } from '../../sidecar/engine/ops/energyHead.ts';
import { spectralNormGradients, spectralNormalize } from '../../sidecar/engine/ops/spectralNorm.ts';
import { glu } from '../../sidecar/engine/models/paperLayers.ts';
import { withFilterCache } from '../../sidecar/engine/ops/filterCache.ts';
import { objectiveGrads } from '../../sidecar/engine/algorithm/objectives.ts';
import { convModel } from '../../sidecar/engine/models/conv.ts';
import { initParams, type Params } from '../../sidecar/engine/core/params.ts';
import { randT } from '../gradcheck.ts';
import { useBackend } from '../helpers.ts';

interface OpCase {
  name: string;
  /** The op's inputs, by name. */
  inputs: () => Params;
  /** The op's output from those inputs. */
  apply: (i: Params) => tf.Tensor;
  /** Whether the case runs on this backend (an op our WASM kernels alone implement). */
  runs?: () => boolean;
}

const t4 = (t: tf.Tensor | undefined): tf.Tensor4D => t as tf.Tensor4D;
const t2 = (t: tf.Tensor | undefined): tf.Tensor2D => t as tf.Tensor2D;
const t1 = (t: tf.Tensor | undefined): tf.Tensor1D => t as tf.Tensor1D;
const LEAK = 0.2;
const awayFromZero = (t: tf.Tensor): tf.Tensor => t.sign().mul(t.abs().add(0.5));

const head = (i: Params): HeadWeights => ({ w1: t2(i.w1), b1: t1(i.b1), w2: t2(i.w2), b2: t1(i.b2), leak: LEAK, temperature: 0.7 });

const cases: OpCase[] = [
  // 3x3 stride 1, wide enough for Winograd on WASM in a FilterCache scope (forward, input and filter gradient).
  {
    name: 'conv2d 3x3 (Winograd)',
    inputs: () => ({ x: randT([2, 8, 8, 32], 1), filter: randT([3, 3, 32, 32], 2, 0.1), bias: randT([32], 3) }),
    apply: (i) => conv2d(t4(i.x), t4(i.filter), t1(i.bias), { stride: 1, pad: 1 }),
  },
  // RGB input (the narrow kernels on WASM) and a strided 4x4 (sub-pixel input gradient).
  {
    name: 'conv2d RGB 3x3 (narrow)',
    inputs: () => ({ x: randT([2, 8, 8, 3], 4), filter: randT([3, 3, 3, 32], 5, 0.3), bias: randT([32], 6) }),
    apply: (i) => conv2d(t4(i.x), t4(i.filter), t1(i.bias), { stride: 1, pad: 1 }),
  },
  {
    name: 'conv2d 4x4 stride 2',
    inputs: () => ({ x: randT([2, 8, 8, 3], 7), filter: randT([4, 4, 3, 8], 8, 0.3), bias: randT([8], 9) }),
    apply: (i) => conv2d(t4(i.x), t4(i.filter), t1(i.bias), { stride: 2, pad: 1 }),
  },
  ...[false, true].map((pool): OpCase => ({
    name: `conv2d after lrelu${pool ? ', pooled' : ''} (fused into Winograd on WASM)`,
    // x kept away from lrelu's kink, so that the finite difference steps over none.
    inputs: () => ({ x: tf.tidy(() => awayFromZero(randT([2, 8, 8, 32], 10))), filter: randT([3, 3, 32, 32], 11, 0.1), bias: randT([32], 12) }),
    apply: (i) => conv2dAfterLeaky(t4(i.x), t4(i.filter), t1(i.bias), { stride: 1, pad: 1 }, LEAK, pool),
  })),
  {
    name: 'dense',
    inputs: () => ({ x: randT([5, 7], 13), w: randT([7, 4], 14), bias: randT([4], 15) }),
    apply: (i) => denseOp(t2(i.x), t2(i.w), t1(i.bias)),
  },
  {
    name: 'transposed conv on a 1x1 input (a matrix product)',
    inputs: () => ({ x: randT([3, 1, 1, 6], 16), filter: randT([4, 4, 6, 5], 17, 0.3), bias: randT([5], 18) }),
    apply: (i) => convTranspose2d(t4(i.x), t4(i.filter), t1(i.bias), { stride: 1, pad: 0 }),
  },
  {
    name: 'transposed conv 4x4 stride 2',
    inputs: () => ({ x: randT([2, 3, 3, 4], 19), filter: randT([4, 4, 4, 3], 20, 0.3), bias: randT([3], 21) }),
    apply: (i) => convTranspose2d(t4(i.x), t4(i.filter), t1(i.bias), { stride: 2, pad: 1 }),
  },
  {
    name: 'spectral normalisation',
    inputs: () => ({ w: randT([3, 3, 4, 6], 22) }),
    apply: (i) =>
      spectralNormalize(
        i.w!,
        tf.tidy(() => randT([6], 23)),
      ).weight,
  },
  {
    name: 'energy head (WASM kernels)',
    inputs: () => ({ h: randT([4, 4, 4, 8], 24), w1: randT([8, 12], 25, 0.4), b1: randT([12], 26, 0.1), w2: randT([12, 1], 27, 0.4), b2: randT([1], 28) }),
    apply: (i) => fusedHead(t4(i.h), head(i)),
    runs: () => tf.getBackend() === 'wasm',
  },
  // Its op splits the channels (channelHalves.ts); an odd width per half so no run is SIMD-aligned.
  {
    name: 'GLU (channel halves)',
    inputs: () => ({ x: randT([2, 3, 3, 14], 29) }),
    apply: (i) => glu(t4(i.x)),
  },
];

/**
 * The directional derivative of sum(op(inputs)·r) along a random unit direction of input
 * `name`, by central differences, against <gradient, direction>. The sum is taken in
 * float64 here: over thousands of outputs, float32 rounding of the loss swamps the
 * difference of two nearby values (test/gradcheck.ts sums in float32, on smaller models).
 */
function checkInput(c: OpCase, inputs: Params, name: string, what: string): void {
  tf.tidy(() => {
    const x = inputs[name]!;
    const y0 = c.apply(inputs);
    const r = randT(y0.shape, 99);
    const rv = r.dataSync() as Float32Array;
    const f64 = (y: tf.Tensor): number => (y.dataSync() as Float32Array).reduce((s, v, i) => s + v * rv[i]!, 0);
    const raw = randT(x.shape, 31);
    const dir = raw.div(raw.norm());
    const g = tf.grad(
      (v: tf.Tensor) =>
        c
          .apply({ ...inputs, [name]: v })
          .mul(r)
          .sum() as tf.Scalar,
    )(x);
    const gv = g.dataSync() as Float32Array,
      dv = dir.dataSync() as Float32Array;
    const analytic = gv.reduce((s, v, i) => s + v * dv[i]!, 0);
    // Convolutions, dense layers and their transposes are linear in each input, so a large
    // step costs no accuracy there, and float32 rounding of the outputs shrinks with it.
    const h = 3e-2;
    const numeric = (f64(c.apply({ ...inputs, [name]: x.add(dir.mul(h)) })) - f64(c.apply({ ...inputs, [name]: x.sub(dir.mul(h)) }))) / (2 * h);
    const err = Math.abs(numeric - analytic);
    assert.ok(err < 1e-2 * Math.max(Math.abs(analytic), Math.abs(numeric)) + 1e-3, `${what}: analytic ${analytic} vs finite difference ${numeric}`);
  });
}

/** sum(op(inputs) · r) for a fixed random r, so that dy is arbitrary. */
function lossOf(c: OpCase, fixed: Params): (q: Params) => tf.Scalar {
  return (q) =>
    tf.tidy(() => {
      const y = c.apply({ ...fixed, ...q });
      return y.mul(randT(y.shape, 99)).sum() as tf.Scalar;
    });
}

for (const backend of ['wasm', 'cpu'] as const) {
  for (const c of cases) {
    test(`finite differences: ${c.name}, every input alone, on ${backend}; nothing leaks`, async () => {
      await useBackend(backend);
      if (c.runs && !c.runs()) return;
      const inputs = c.inputs();
      const pass = (): void => {
        for (const name of Object.keys(inputs)) checkInput(c, inputs, name, `${c.name} d/d${name} (${backend})`);
      };
      pass();
      withFilterCache(pass); // a chain's scope: derived filters kept across passes
      const memory = (): number[] => [tf.memory().numTensors, tf.memory().numBytes, tf.backend().numDataIds()];
      const before = memory();
      pass();
      withFilterCache(pass);
      assert.deepEqual(memory(), before, 'tensors, bytes and backend buffers after the passes');
      tf.dispose(Object.values(inputs));
    });
  }
}

test('the fused head runs on WASM for these shapes (so the case above covers its kernels)', async () => {
  await useBackend('wasm');
  tf.tidy(() => {
    const i = cases.find((c) => c.name.startsWith('energy head'))!.inputs();
    assert.ok(fusedHeadSuits(t4(i.h), head(i)));
  });
});

type Spied = Record<string, (...args: never[]) => unknown>;
/** Runs f with every pass of `passes` counted; returns the counts by pass name. */
function countCalls(passes: Spied, f: () => void): Record<string, number> {
  const spies = Object.keys(passes).map((k) => [k, mock.method(passes, k)] as const);
  try {
    f();
    return Object.fromEntries(spies.map(([k, s]) => [k, s.mock.callCount()]));
  } finally {
    spies.forEach(([, s]) => s.mock.restore());
  }
}

/** The gradient passes of each op, the input's first (as each case names its inputs: the data side first). */
const passesOf = {
  'conv2d 3x3 (Winograd)': convGradients,
  'conv2d 4x4 stride 2': convGradients,
  'conv2d after lrelu, pooled (fused into Winograd on WASM)': leakyConvGradients,
  dense: denseGradients,
  'transposed conv on a 1x1 input (a matrix product)': convTransposeGradients,
  'transposed conv 4x4 stride 2': convTransposeGradients,
  'energy head (WASM kernels)': headGradients,
} as unknown as Record<string, Spied>;
for (const backend of ['wasm', 'cpu'] as const) {
  test(`each op computes only the gradients asked for (${backend}): the input's alone, the parameters' alone`, async () => {
    await useBackend(backend);
    for (const [name, passes] of Object.entries(passesOf)) {
      const c = cases.find((k) => k.name === name)!;
      if (c.runs && !c.runs()) continue;
      if (name.startsWith('conv2d after') && backend === 'cpu') continue; // the fused op is WASM's; cpu composes conv2d
      const inputs = c.inputs();
      const [dataName, ...paramNames] = Object.keys(inputs);
      const loss = lossOf(c, inputs);
      // In a FilterCache scope, as objectives and chains run (the fused op's thresholds assume one).
      const inputOnly = countCalls(passes, () =>
        withFilterCache(() => tf.tidy(() => void tf.grad((v: tf.Tensor) => loss({ [dataName!]: v }))(inputs[dataName!]!))),
      );
      const paramsOnly = countCalls(passes, () =>
        withFilterCache(() =>
          tf.tidy(
            () => void tf.grads((...ws: tf.Tensor[]) => loss(Object.fromEntries(paramNames.map((n, k) => [n, ws[k]!]))))(paramNames.map((n) => inputs[n]!)),
          ),
        ),
      );
      const [inputPass, ...paramPasses] = Object.keys(passes);
      assert.equal(inputOnly[inputPass!], 1, `${name}: the input gradient runs once`);
      for (const p of paramPasses) assert.equal(inputOnly[p], 0, `${name}: no ${p} gradient when only the input is differentiated`);
      assert.equal(paramsOnly[inputPass!], 0, `${name}: no input gradient when only the parameters are differentiated`);
      for (const p of paramPasses) assert.equal(paramsOnly[p], 1, `${name}: the ${p} gradient runs once`);
      tf.dispose(Object.values(inputs));
    }
  });
}

test('spectral normalisation runs its gradient only where the weight is differentiated', async () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    await useBackend(backend);
    tf.tidy(() => {
      const w = randT([3, 3, 4, 6], 40);
      const u = randT([6], 41);
      const x = randT([2, 5, 5, 4], 42);
      const y = (xx: tf.Tensor, ww: tf.Tensor): tf.Scalar =>
        conv2d(xx as tf.Tensor4D, spectralNormalize(ww, u).weight as tf.Tensor4D, tf.zeros([6]), { stride: 1, pad: 1 }).sum() as tf.Scalar;
      assert.equal(countCalls(spectralNormGradients, () => void tf.grad((xx: tf.Tensor) => y(xx, w))(x)).weight, 0, `${backend}: d/dx`);
      assert.equal(countCalls(spectralNormGradients, () => void tf.grad((ww: tf.Tensor) => y(x, ww))(w)).weight, 1, `${backend}: d/dw`);
      // In a FilterCache scope (a chain's steps) the normalised weight is made once and shared, so are the transforms made from it.
      const [a1, a2] = withFilterCache(() => [spectralNormalize(w, u).weight, spectralNormalize(w, u).weight]);
      assert.equal(a1!.dataId, a2!.dataId, `${backend}: one normalised weight per scope`);
      assert.notEqual(spectralNormalize(w, u).weight.dataId, spectralNormalize(w, u).weight.dataId, `${backend}: outside a scope, each pass its own`);
      // A new u (a training pass's second use reads the u the first proposed) is a new power iteration.
      withFilterCache(() => {
        const first = spectralNormalize(w, u);
        assert.notEqual(spectralNormalize(w, first.u).weight.dataId, first.weight.dataId, `${backend}: a new u, a new weight`);
      });
    });
  }
});

/** Runs f with the gradient passes of conv2d, the fused conv, dense and the head counted, and the input shapes conv2d's input gradient ran for. */
function modelPasses(f: () => void): { counts: Record<string, number>[]; convInputShapes: string[] } {
  const convInputShapes: string[] = [];
  const input = convGradients.input;
  const recordShape = mock.method(convGradients, 'input', (...a: Parameters<typeof input>) => {
    convInputShapes.push(a[2].join('x'));
    return input(...a);
  });
  const groups = [convGradients, leakyConvGradients, denseGradients, headGradients] as unknown as Spied[];
  const spies = groups.map((o, i) => Object.keys(o).map((k) => [k, i === 0 && k === 'input' ? recordShape : mock.method(o, k)] as const));
  try {
    f();
    return { counts: spies.map((s) => Object.fromEntries(s.map(([k, m]) => [k, m.mock.callCount()]))), convInputShapes };
  } finally {
    spies.flat().forEach(([, m]) => m.mock.restore());
  }
}

test('the models: an objective computes no gradient with respect to its data, SGLD no parameter gradient', async () => {
  await useBackend('wasm');
  const model = convModel({ size: 16, channels: 3, width: 32, levels: 2, latentDim: 4, ebmHidden: 8, temperature: 1 });
  const ebm = initParams(model.specs.ebm, 3);
  const vae = initParams([...model.specs.enc, ...model.specs.dec], 4);
  const x = randT([4, 16, 16, 3], 5, 0.5);
  const neg = randT([4, 16, 16, 3], 6, 0.5);
  const dataShape = x.shape.join('x');
  const o = { lambda: 1, beta: 1, regularization: 0.1, scale: 1 };
  const objective = (kind: 'ebm' | 'vae', p: Params, inputs: Params) => (): void => {
    const r = objectiveGrads(model, kind, p, inputs, o);
    tf.dispose([...Object.values(r.grads), r.terms, ...Object.values(r.updates)]);
  };
  // The EBM update: the stem reads the data and the negatives, so its input gradient must
  // not run; its filter gradient runs for both, and the deeper layers pass gradients back.
  const update = modelPasses(objective('ebm', ebm, { x, neg }));
  assert.ok(!update.convInputShapes.includes(dataShape), `no input gradient of the data's shape: ${update.convInputShapes.join(', ')}`);
  assert.equal(update.counts[0]!.filter, 2, 'the stem filter gradient, for data and negatives');
  const [, leaky, , head] = update.counts;
  assert.ok(leaky!.input! + head!.input! + update.convInputShapes.length > 0, 'the deeper layers pass gradients back');
  // The VAE objective: the encoder's first convolution reads the data.
  const vaeInputs = { x, eps: randT([4, 4], 7), n: randT([4, 4], 8) };
  const vaePass = modelPasses(objective('vae', vae, vaeInputs));
  assert.ok(vaePass.convInputShapes.length > 0, 'the decoder and the deeper encoder layers pass gradients back');
  assert.ok(!vaePass.convInputShapes.includes(dataShape), `no input gradient of the data's shape: ${vaePass.convInputShapes.join(', ')}`);
  // SGLD: the energy's gradient with respect to x runs no filter, bias or weight gradient.
  const sgld = modelPasses(() => withFilterCache(() => tf.tidy(() => void tf.grad((v: tf.Tensor) => model.energy(ebm, v).sum() as tf.Scalar)(neg))));
  const [c, l, d, h] = sgld.counts;
  assert.deepEqual([c!.filter, c!.bias, l!.filter, l!.bias, d!.weight, d!.bias, h!.w1, h!.b1, h!.w2, h!.b2], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.ok(sgld.convInputShapes.includes(dataShape), 'the stem input gradient: the image gradient itself');
  tf.dispose([...Object.values(ebm), ...Object.values(vae), x, neg, vaeInputs.eps, vaeInputs.n]);
});

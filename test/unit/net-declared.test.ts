/**
 * Each network is declared once (models/net.ts): the parameter specs a model lists are
 * exactly the tensors its forward passes read, for every model kind. The params are
 * wrapped in a proxy that records each name read; the passes run as in training (buffer
 * updates collected, so BatchNorm reads its running statistics); the energy's pass is
 * the same in training and inside SGLD (the conv model's fused head reads its weights
 * directly).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { initParams, type ParamSpec, type Params } from '../../sidecar/engine/core/params.ts';
import { classifierLogits, classifierSpecs } from '../../sidecar/engine/eval/classifier.ts';
import { collectBufferUpdates } from '../../sidecar/engine/models/buffers.ts';
import { convModel } from '../../sidecar/engine/models/conv.ts';
import { latentEbmModel } from '../../sidecar/engine/models/latentEbm.ts';
import { mlpModel } from '../../sidecar/engine/models/mlp.ts';
import { Net } from '../../sidecar/engine/models/net.ts';
import { drawDecoderNoise } from '../../sidecar/engine/models/noise.ts';
import { paper32Model, type PaperArch } from '../../sidecar/engine/models/paper32.ts';
import { paper64Model } from '../../sidecar/engine/models/paper64.ts';
import { paper256Model } from '../../sidecar/engine/models/paper256.ts';
import { flowModel, withFlowPrior } from '../../sidecar/engine/models/prior.ts';
import type { EcvaeModel } from '../../sidecar/engine/models/types.ts';
import { useBackend } from '../helpers.ts';

/** The names `f` reads from `p` (every property looked up, present or not). */
function namesRead(p: Params, f: (q: Params) => tf.Tensor): string[] {
  const read = new Set<string>();
  const note = (k: string | symbol): void => void (typeof k === 'string' && read.add(k));
  const q = new Proxy(p, {
    get: (t, k, r) => (note(k), Reflect.get(t, k, r)),
    has: (t, k) => (note(k), Reflect.has(t, k)),
    getOwnPropertyDescriptor: (t, k) => (note(k), Reflect.getOwnPropertyDescriptor(t, k)),
  });
  const { result, updates } = collectBufferUpdates(() => tf.tidy(() => f(q)));
  tf.dispose([result, ...Object.values(updates)]);
  return [...read].sort();
}

const names = (specs: ParamSpec[]): string[] => specs.map((s) => s.name).sort();

function assertDeclaredIsRead(what: string, specs: ParamSpec[], p: Params, passes: Record<string, (q: Params) => tf.Tensor>): void {
  assert.equal(new Set(names(specs)).size, specs.length, `${what}: no name declared twice`);
  for (const [pass, f] of Object.entries(passes)) assert.deepEqual(namesRead(p, f), names(specs), `${what}: ${pass} reads exactly the declared parameters`);
}

/** Encoder, decoder (with its noise maps where it has them) and energy against their spec lists. */
function checkModel(what: string, m: EcvaeModel): void {
  const p = initParams([...m.specs.enc, ...m.specs.dec, ...m.specs.ebm], 1);
  const x = tf.randomUniform([2, ...m.dataShape], -1, 1, 'float32', 2);
  const z = tf.randomNormal([2, m.latentDim], 0, 1, 'float32', 3) as tf.Tensor2D;
  const noise = drawDecoderNoise(m, 2, 4);
  if (m.kind === 'flow') {
    // The flow is the decoder; its "encoder" is the same map run forward.
    assert.deepEqual(m.specs.enc, []);
    assertDeclaredIsRead(`${what} flow`, m.specs.dec, p, { encode: (q) => m.encode(q, x).mu, decode: (q) => m.decode(q, z), nll: (q) => m.nll!(q, x) });
  } else {
    assertDeclaredIsRead(`${what} encoder`, m.specs.enc, p, { encode: (q) => m.encode(q, x).mu });
    const decoder = m.specs.dec.filter((s) => !s.name.startsWith('prior.'));
    assertDeclaredIsRead(`${what} decoder`, decoder, p, { decode: (q) => m.decode(q, z, noise) });
    if (m.fromBase) {
      const prior = m.specs.dec.filter((s) => s.name.startsWith('prior.'));
      assertDeclaredIsRead(`${what} prior`, prior, p, { fromBase: (q) => m.fromBase!(q, z), toBase: (q) => m.toBase!(q, z), nll: (q) => m.priorNll!(q, z) });
    }
  }
  assertDeclaredIsRead(`${what} energy`, m.specs.ebm, p, { energy: (q) => m.energy(q, x) });
  tf.dispose([x, z, ...(noise ?? []), ...Object.values(p)]);
}

const paper = (widthFactor: number, spectralNorm: PaperArch['spectralNorm']): PaperArch => ({
  channels: 3,
  latentDim: 4,
  widthFactor,
  spectralNorm,
  temperature: 0.5,
});

test('every model reads exactly the parameters it declares: mlp, conv, paper32/64/256, flow prior, flow, latent energy, FD classifier', async () => {
  await useBackend('wasm');
  const before = tf.memory().numTensors;
  const mlp = mlpModel({ dataShape: [2], hidden: 8, depth: 2, latentDim: 2, temperature: 0.5 });
  checkModel('mlp', mlp);
  checkModel(
    'mlp with Fourier features',
    mlpModel({
      dataShape: [2],
      hidden: 8,
      depth: 1,
      latentDim: 2,
      temperature: 0.5,
      energyFourier: { count: 4, sigma: 2 },
      decoderFourier: { count: 3, sigma: 1 },
    }),
  );
  const conv = convModel({ size: 8, channels: 1, width: 4, levels: 2, latentDim: 3, ebmHidden: 5, temperature: 0.5 });
  checkModel('conv', conv);
  checkModel('paper32', paper32Model(paper(1 / 64, ['decoder', 'energy'])));
  checkModel('paper32 without spectral norm', paper32Model(paper(1 / 64, [])));
  checkModel('paper64', paper64Model(paper(1 / 32, ['energy'])));
  checkModel('paper256', paper256Model(paper(1 / 64, ['encoder', 'decoder', 'energy'])));
  checkModel('flow prior', withFlowPrior(mlp, { blocks: 2, hidden: 5, batchNorm: true }));
  checkModel('flow', flowModel(conv, { blocks: 2, hidden: 6, batchNorm: true }, 2 / 255));
  for (const spectralNorm of [true, false]) {
    const l = latentEbmModel({ latentDim: 3, widthFactor: 1 / 64, spectralNorm });
    const p = initParams(l.specs, 5);
    const z = tf.randomNormal([3, 3], 0, 1, 'float32', 6) as tf.Tensor2D;
    assertDeclaredIsRead('latent energy', l.specs, p, { energy: (q) => l.energy(q, z) });
    tf.dispose([z, ...Object.values(p)]);
  }
  const cls = initParams(classifierSpecs(), 7);
  const images = tf.zeros([1, 28, 28, 1]) as tf.Tensor4D;
  assertDeclaredIsRead('the FD classifier', classifierSpecs(), cls, { logits: (q) => classifierLogits(q, images) });
  tf.dispose([images, ...Object.values(cls)]);
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
});

test('the check sees a declared layer the forward pass does not use, and a parameter read that no layer declared', () => {
  const net = new Net(false);
  const used = net.dense('a', 2, 2);
  net.dense('unused', 2, 2);
  const p = initParams([...net.specs, { name: 'extra.w', shape: [2, 2], fanIn: 2 }], 1);
  const x = tf.ones([1, 2]) as tf.Tensor2D;
  assert.throws(() => assertDeclaredIsRead('net', net.specs, p, { forward: (q) => used(q, x) }), /reads exactly the declared parameters/);
  const declared = net.specs.filter((s) => !s.name.startsWith('unused'));
  assert.throws(
    () => assertDeclaredIsRead('net', declared, p, { forward: (q) => used(q, x).matMul(q['extra.w'] as tf.Tensor2D) }),
    /reads exactly the declared parameters/,
  );
  assertDeclaredIsRead('net', declared, p, { forward: (q) => used(q, x) });
  tf.dispose([x, ...Object.values(p)]);
});

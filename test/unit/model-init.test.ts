/**
 * model.init (models/init.ts) and model.ebmWidth: which distribution each layer starts
 * from under "pytorch" and "official", measured on the initialised tensors, the
 * transposed convolution's PyTorch bound, and the config's validation of both fields.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { initParams, type ParamSpec } from '../../sidecar/engine/core/params.ts';
import { parseConfig } from '../../sidecar/engine/config/config.ts';
import { buildModel } from '../../sidecar/engine/models/index.ts';
import type { ModelConfig } from '../../sidecar/engine/config/config.generated.ts';
import { useBackend } from '../helpers.ts';

function modelConfig(model: object, data: object = { kind: 'mnist' }): ModelConfig {
  const r = parseConfig(JSON.stringify({ data, model }), process.cwd());
  assert.ok(r.ok, JSON.stringify(!r.ok && r.diagnostics));
  return r.config.model;
}

/** Mean, standard deviation and largest magnitude of one initialised tensor. */
function stats(specs: ParamSpec[], name: string): { mean: number; sd: number; max: number } {
  const spec = specs.find((s) => s.name === name);
  assert.ok(spec, `no spec ${name}`);
  const p = initParams([spec], 7);
  const v = Array.from(p[name]!.dataSync());
  tf.dispose(Object.values(p));
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { mean, sd, max: Math.max(...v.map(Math.abs)) };
}

const near = (x: number, want: number, rel: number, what: string): void => assert.ok(Math.abs(x / want - 1) < rel, `${what}: ${x} vs ${want}`);

test('conv model: pytorch (auto) is U(±1/√fanIn) everywhere; official gives the encoder N(0, 0.02²), the energy kaiming/N(0, 0.01²), zero biases', async () => {
  await useBackend('cpu');
  const shape = [28, 28, 1];
  const pt = buildModel(modelConfig({ kind: 'conv', width: 8, latentDim: 8 }), shape).specs;
  const off = buildModel(modelConfig({ kind: 'conv', width: 8, latentDim: 8, init: 'official' }), shape).specs;
  // enc.conv1: 4x4x8 -> 16, fanIn 128: U(±1/√128) has sd 1/√(3·128).
  const u = stats(pt.enc, 'enc.conv1.w');
  near(u.sd, 1 / Math.sqrt(3 * 128), 0.1, 'pytorch encoder sd');
  assert.ok(u.max <= 1 / Math.sqrt(128) + 1e-7);
  assert.ok(stats(pt.enc, 'enc.conv1.b').max > 0, 'pytorch biases are uniform, not zero');
  near(stats(off.enc, 'enc.conv1.w').sd, 0.02, 0.1, 'official encoder sd');
  near(stats(off.enc, 'enc.fc.w').sd, 0.02, 0.1, 'official encoder linear sd');
  assert.equal(stats(off.enc, 'enc.fc.b').max, 0);
  // ebm.conv1: 3x3x8 -> 16, kaiming fan-in: sd 1/√72.
  near(stats(off.ebm, 'ebm.conv1.w').sd, 1 / Math.sqrt(72), 0.1, 'official energy conv sd');
  near(stats(off.ebm, 'ebm.head1.w').sd, 0.01, 0.1, 'official energy linear sd');
  assert.equal(stats(off.ebm, 'ebm.stem.b').max, 0);
  // The decoder keeps PyTorch's default, as the official Generator_32.
  assert.deepEqual(off.dec, pt.dec);
});

test('paper32: auto is the official init; pytorch resets it; the transposed conv bound is PyTorch’s 1/√(cout·k·k)', async () => {
  await useBackend('cpu');
  const shape = [32, 32, 3];
  const base = { kind: 'paper32', widthFactor: 1 / 16, latentDim: 16 };
  const cifar = { kind: 'folder', path: '.', size: 32 };
  const auto = buildModel(modelConfig(base, cifar), shape).specs;
  const off = buildModel(modelConfig({ ...base, init: 'official' }, cifar), shape).specs;
  const pt = buildModel(modelConfig({ ...base, init: 'pytorch' }, cifar), shape).specs;
  assert.deepEqual(auto, off);
  near(stats(auto.enc, 'enc.conv1.w').sd, 0.02, 0.1, 'official encoder sd');
  const fan = 3 * 3 * 3;
  near(stats(pt.enc, 'enc.conv1.w').sd, 1 / Math.sqrt(3 * fan), 0.15, 'pytorch encoder sd');
  // dec.init: ConvTranspose2d(16 -> 2·64, 4x4). PyTorch reads fan-in from weight.size(1) = cout:
  // bound 1/√(128·16), not 1/√(16·16) (4x the bound, 16x the variance).
  const dec = stats(auto.dec, 'dec.init.w');
  const bound = 1 / Math.sqrt(128 * 16);
  assert.ok(dec.max <= bound + 1e-7 && dec.max > 0.95 * bound, `dec.init max ${dec.max} vs bound ${bound}`);
  // BatchNorm's scale and buffers are not layers' weights: the same under every setting.
  for (const s of pt.enc.filter((x) => x.name.includes('bn')))
    assert.deepEqual(
      s,
      auto.enc.find((x) => x.name === s.name),
    );
});

test('model.ebmWidth widens the conv energy alone; an unknown init is an error; ebmWidth elsewhere is a warning', () => {
  const shape = [28, 28, 1];
  const narrow = buildModel(modelConfig({ kind: 'conv', width: 8, latentDim: 8 }), shape).specs;
  const wide = buildModel(modelConfig({ kind: 'conv', width: 8, latentDim: 8, ebmWidth: 16 }), shape).specs;
  assert.deepEqual(wide.enc, narrow.enc);
  assert.deepEqual(wide.dec, narrow.dec);
  assert.deepEqual(wide.ebm.find((s) => s.name === 'ebm.stem.w')!.shape, [3, 3, 1, 16]);
  assert.deepEqual(wide.ebm.find((s) => s.name === 'ebm.conv1.w')!.shape, [3, 3, 16, 32]);
  const bad = parseConfig(JSON.stringify({ data: { kind: 'mnist' }, model: { init: 'xavier' } }), process.cwd());
  assert.equal(bad.ok, false);
  assert.ok(!bad.ok && bad.diagnostics.some((d) => d.field === 'model.init'));
  const mlp = parseConfig(JSON.stringify({ data: { kind: 'gaussians25' }, model: { ebmWidth: 16 } }), process.cwd());
  assert.ok(mlp.ok && mlp.warnings.some((w) => w.field === 'model.ebmWidth' && /only used by conv models/.test(w.message)));
});

test('model.ebmHead "flatten" feeds every position of the last energy map to the head; elsewhere a warning', () => {
  const shape = [28, 28, 1];
  const head1 = (m: Partial<ModelConfig>): number[] =>
    buildModel(modelConfig({ kind: 'conv', width: 8, latentDim: 8, ...m }), shape).specs.ebm.find((s) => s.name === 'ebm.head1.w')!.shape;
  // 28x28 has two levels: the last stage's map is 14x14 with 2·8 channels.
  assert.deepEqual(head1({ ebmHidden: 64 }), [16, 64]);
  assert.deepEqual(head1({ ebmHidden: 64, ebmHead: 'flatten' }), [16 * 14 * 14, 64]);
  const bad = parseConfig(JSON.stringify({ data: { kind: 'mnist' }, model: { ebmHead: 'max' } }), process.cwd());
  assert.ok(!bad.ok && bad.diagnostics.some((d) => d.field === 'model.ebmHead'));
  const mlp = parseConfig(JSON.stringify({ data: { kind: 'gaussians25' }, model: { ebmHead: 'flatten' } }), process.cwd());
  assert.ok(mlp.ok && mlp.warnings.some((w) => w.field === 'model.ebmHead' && /only used by conv models/.test(w.message)));
});

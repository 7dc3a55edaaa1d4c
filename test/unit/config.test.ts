/** Run-config validation: schema defaults, and a clear, located message for each mistake. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile, parseConfig, type Diagnostic } from '../../sidecar/engine/config/config.ts';
import { repoRoot, tempDir } from '../helpers.ts';

function errorsOf(text: string, baseDir = process.cwd()): Diagnostic[] {
  const r = parseConfig(text, baseDir);
  assert.equal(r.ok, false, 'config should be rejected');
  return r.ok ? [] : r.diagnostics;
}

test('a minimal config gets every default from the schema', () => {
  const r = parseConfig('{"data": {"kind": "mnist"}}', process.cwd());
  assert.ok(r.ok);
  const c = r.config;
  assert.equal(c.name, 'run');
  assert.equal(c.backend, 'auto');
  assert.equal(c.training.beta, 0.1);
  assert.equal(c.training.vaeLearningRate, 2e-4);
  assert.equal(c.training.ebmLearningRate, 1e-4);
  assert.deepEqual([c.training.adamBeta1, c.training.adamBeta2], [0, 0.9]);
  assert.deepEqual([c.calibration.sgldSteps, c.calibration.sgldStepSize, c.calibration.proxThreshold], [15, 0.01, 0.07]);
  assert.deepEqual([c.calibration.lambdaInit, c.calibration.lambdaLearningRate, c.calibration.lambdaMax, c.calibration.epsilon], [30, 0.01, 100, 0.001]);
  assert.equal(c.calibration.distance, 'drift', 'the noise-free distance is the default; "chain" is the paper-exact choice');
  assert.deepEqual(
    [c.model.energyFourier, c.model.decoderFourier],
    [
      { count: 'auto', sigma: 1 },
      { count: 'auto', sigma: 0.5 },
    ],
  );
  assert.equal(c.calibration.enabled, true);
  assert.equal(c.model.latentDim, 64);
  assert.equal(c.model.levels, undefined, 'levels follow the image size unless given');
});

test('the reference architecture of bench/reference is expressible as a config', () => {
  const dir = tempDir();
  const r = parseConfig(
    JSON.stringify({
      data: { kind: 'folder', path: dir, size: 32, channels: 3 },
      model: { kind: 'conv', width: 32, levels: 3, latentDim: 64, ebmHidden: 256 },
      training: { batchSize: 32 },
    }),
    dir,
  );
  assert.ok(r.ok, JSON.stringify(!r.ok && r.diagnostics));
});

test('JSON syntax errors point at line and column', () => {
  const [d] = errorsOf('{\n  "data": {"kind": "mnist"},\n  "seed": 1,\n}');
  assert.match(d!.message, /Invalid JSON/);
  assert.equal(d!.line, 4);
});

test('unknown fields are named, with the location of the key', () => {
  const ds = errorsOf('{\n  "data": {"kind": "mnist"},\n  "trainig": {}\n}');
  const d = ds.find((x) => x.field === 'trainig')!;
  assert.match(d.message, /Unknown field "trainig"/);
  assert.deepEqual([d.line, d.column], [3, 3]);
});

test('wrong types and enum values say what is allowed', () => {
  const ds = errorsOf('{"data": {"kind": "cifar"}, "training": {"batchSize": "big"}}');
  assert.ok(ds.some((d) => d.field === 'data.kind' && /must be one of "gaussians25", "mnist", "fashion-mnist", "folder"/.test(d.message)));
  assert.ok(ds.some((d) => d.field === 'training.batchSize' && /must be integer/.test(d.message)));
});

test('out-of-range numbers and a missing data section are reported', () => {
  assert.ok(
    errorsOf('{"data": {"kind": "mnist"}, "training": {"batchSize": 0}}').some((d) => d.field === 'training.batchSize' && /must be >= 1/.test(d.message)),
  );
  assert.ok(errorsOf('{}').some((d) => /Missing required field "data"/.test(d.message)));
  assert.ok(errorsOf('').some((d) => /Invalid JSON|empty/.test(d.message)));
});

test('semantic checks: dataset path, folder fields, image size vs levels, lambda bounds', () => {
  const dir = tempDir();
  const missing = errorsOf(JSON.stringify({ data: { kind: 'folder', path: 'nope', size: 32 } }), dir);
  assert.ok(missing.some((d) => d.field === 'data.path' && /Dataset path does not exist: .*nope/.test(d.message)));
  const file = join(dir, 'file.txt');
  writeFileSync(file, 'x');
  assert.ok(errorsOf(JSON.stringify({ data: { kind: 'folder', path: file, size: 32 } }), dir).some((d) => /is not a folder/.test(d.message)));
  assert.ok(errorsOf(JSON.stringify({ data: { kind: 'folder', path: dir } }), dir).some((d) => /needs "data.size"/.test(d.message)));
  const levels = errorsOf(JSON.stringify({ data: { kind: 'mnist' }, model: { levels: 3 } }));
  assert.ok(levels.some((d) => d.field === 'model.levels' && /28 is not divisible by 2\^levels = 8. Use model.levels 1 or 2/.test(d.message)));
  assert.ok(errorsOf(JSON.stringify({ data: { kind: 'gaussians25' }, model: { kind: 'conv' } })).some((d) => /needs image data/.test(d.message)));
  assert.ok(
    errorsOf(JSON.stringify({ data: { kind: 'mnist' }, model: { levels: 2 }, calibration: { lambdaInit: 200 } })).some((d) =>
      /lambdaInit \(200\) is above calibration.lambdaMax \(100\)/.test(d.message),
    ),
  );
});

test('calibration checks: the chain distance against its noise floor, epsilon for drift, Fourier fields on conv models', () => {
  const warningsOf = (c: object): Diagnostic[] => {
    const r = parseConfig(JSON.stringify(c), process.cwd());
    assert.ok(r.ok, JSON.stringify(!r.ok && r.diagnostics));
    return r.warnings;
  };
  // MNIST example constants: floor = 5·784·0.01·0.1^2 = 0.392 > epsilon 0.05 (bench/oracle/README.md §2).
  const mnist = {
    data: { kind: 'mnist' },
    model: { levels: 2 },
    calibration: { distance: 'chain', sgldSteps: 5, sgldStepSize: 0.01, sgldNoiseScale: 0.1, epsilon: 0.05 },
  };
  assert.ok(
    warningsOf(mnist).some(
      (w) => w.field === 'calibration.epsilon' && /at least K·D·eta·noiseScale\^2 = 0.392 here, which is above epsilon 0.05/.test(w.message),
    ),
  );
  // Toy example constants: floor = 10·2·4e-4·0.25^2 = 5e-4, 100x below epsilon.
  const toy = { data: { kind: 'gaussians25' }, calibration: { distance: 'chain', sgldSteps: 10, sgldStepSize: 4e-4, sgldNoiseScale: 0.25, epsilon: 0.05 } };
  assert.ok(warningsOf(toy).some((w) => /epsilon 0.05 is 100x the noise floor 0.000500/.test(w.message)));
  assert.deepEqual(warningsOf({ ...toy, calibration: { ...toy.calibration, distance: 'drift', epsilon: 0.001 } }), [], 'drift has no floor to warn about');
  assert.ok(
    errorsOf(JSON.stringify({ data: { kind: 'gaussians25' }, calibration: { epsilon: 0 } })).some(
      (d) => d.field === 'calibration.epsilon' && /must be > 0 with calibration.distance "drift"/.test(d.message),
    ),
  );
  assert.ok(
    warningsOf({ data: { kind: 'mnist' }, model: { kind: 'conv', energyFourier: { count: 16 } } }).some(
      (w) => w.field === 'model.energyFourier.count' && /only used by mlp models/.test(w.message),
    ),
  );
  // Calibrations measured to hurt on images warn with what was measured (docs/flows.md).
  const latent = { data: { kind: 'mnist' }, model: { prior: 'realnvp' }, calibration: { latentPrior: true } };
  assert.ok(warningsOf(latent).some((w) => w.field === 'calibration.latentPrior' && /FD 1,288/.test(w.message) && /bench:latent-chain/.test(w.message)));
  assert.ok(!warningsOf({ ...latent, data: { kind: 'gaussians25' } }).some((w) => w.field === 'calibration.latentPrior'), 'the toy is where it helps');
  assert.ok(warningsOf({ data: { kind: 'mnist' }, model: { kind: 'flow' } }).some((w) => w.field === 'model.kind' && /ran away/.test(w.message)));
  assert.ok(!warningsOf({ data: { kind: 'mnist' }, model: { kind: 'flow' }, calibration: { enabled: false } }).some((w) => w.field === 'model.kind'));
});

test('on-disk-only fields on other datasets are warnings, not errors; relative paths resolve against the config', () => {
  const r = parseConfig(JSON.stringify({ data: { kind: 'mnist', size: 32 }, model: { levels: 2 } }), process.cwd());
  assert.ok(r.ok);
  assert.ok(r.warnings.some((w) => w.field === 'data.size' && /only used with data read from disk \(folder, cifar10, cifar100, stl10, idx\)/.test(w.message)));
  const dir = tempDir();
  mkdirSync(join(dir, 'imgs'));
  const cfgFile = join(dir, 'a.ecvae.json');
  writeFileSync(cfgFile, JSON.stringify({ data: { kind: 'folder', path: 'imgs', size: 16 } }));
  const loaded = loadConfigFile(cfgFile);
  assert.ok(loaded.ok);
  assert.equal(loaded.config.data.path, join(dir, 'imgs'));
});

test('an unreadable config file is a diagnostic, not a crash', () => {
  const r = loadConfigFile('/nonexistent/x.ecvae.json');
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.diagnostics[0]!.message : '', /Cannot read config .*file not found/);
});

test('the shipped examples validate, without warnings', () => {
  const files = readdirSync('examples').filter((f) => f.endsWith('.ecvae.json'));
  assert.deepEqual(files.sort(), [
    'celeba64-paper.ecvae.json',
    'celebahq256-paper.ecvae.json',
    'fashion-mnist.ecvae.json',
    'mnist.ecvae.json',
    'stl10-paper.ecvae.json',
    'toy-25gaussians.ecvae.json',
  ]);
  // The paper's examples need their datasets on disk, which cannot ship: their only problem here is that path.
  const paperData = /"\.\.\/data\/[^"]+"/;
  for (const f of files) {
    const text = readFileSync(join('examples', f), 'utf8');
    if (paperData.test(text)) {
      const without = parseConfig(text, 'examples');
      assert.deepEqual(!without.ok && without.diagnostics.map((d) => d.field), ['data.path'], f);
    }
    const r = parseConfig(text.replace(paperData, JSON.stringify(repoRoot)), 'examples');
    assert.ok(r.ok, `${f}: ${JSON.stringify(!r.ok && r.diagnostics)}`);
    assert.deepEqual(r.warnings, [], f);
  }
});

test('the config is declared once: its TypeScript types are generated from the schema (regenerate with npm run build:config-types)', async () => {
  const { CONFIG_TYPES_FILE, configTypes } = await import('../../scripts/config-types.mjs');
  assert.equal(readFileSync(join(repoRoot, CONFIG_TYPES_FILE), 'utf8'), await configTypes());
});

/** `ecvae restore` end to end: the JSON report, the output files, and every bad input's message. */
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { gather, loadDataset } from '../../sidecar/engine/data/index.ts';
import { encodePng } from '../../sidecar/engine/data/images.ts';
import { cli, lastJson, tempDir } from '../helpers.ts';

const dir = tempDir();
const run = join(dir, 'run');
const digit = join(dir, 'digit.png');

before(() => {
  writeFileSync(
    join(dir, 'c.ecvae.json'),
    JSON.stringify({
      data: { kind: 'mnist', limit: 64 },
      model: { kind: 'conv', width: 4, latentDim: 4, ebmHidden: 8 },
      training: { iterations: 10, batchSize: 16 },
      calibration: { sgldSteps: 2 },
      logging: { every: 5, sampleEvery: 100, checkpointEvery: 10 },
    }),
  );
  const r = cli(['train', join(dir, 'c.ecvae.json'), '--out', run, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const ds = loadDataset({ kind: 'mnist', split: 'test', limit: 1, channels: 1, onBadImage: 'error', scale: 0.4, count: 100, hflip: false }, 0);
  writeFileSync(digit, encodePng(gather(ds, [0]), 28, 28, 1));
});

test('restore --from-clean --json reports PSNR/SSIM for EC-VAE and the baselines, and writes the images', () => {
  const out = join(dir, 'out.png');
  const strip = join(dir, 'strip.png');
  const r = cli(['restore', run, digit, '--task', 'inpaint', '--mask', 'center', '--from-clean', '--steps', '5', '--out', out, '--compare', strip, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const j = lastJson(r.stdout);
  assert.equal(j.ok, true);
  assert.equal(typeof j.psnr, 'number');
  assert.equal(typeof j.ssim, 'number');
  const b = j.baselines as Record<string, { psnr: number; ssim: number }>;
  assert.ok(b.pinv && b.meanFill && typeof b.meanFill.psnr === 'number' && typeof b.meanFill.ssim === 'number');
  assert.equal(PNG.sync.read(readFileSync(out)).width, 28);
  assert.ok(PNG.sync.read(readFileSync(strip)).width > 3 * 28, 'observed | restored | reference strip');
});

test('restore with a low-resolution input and --reference; without a reference there are no metrics', () => {
  const low = join(dir, 'low.png');
  writeFileSync(low, encodePng(new Float32Array(7 * 7).fill(-0.5), 7, 7, 1));
  const withRef = cli(['restore', run, low, '--task', 'sr', '--factor', '4', '--reference', digit, '--steps', '3', '--out', join(dir, 'sr.png'), '--json']);
  assert.equal(withRef.status, 0, withRef.stderr);
  const j = lastJson(withRef.stdout);
  assert.equal(typeof j.psnr, 'number');
  assert.equal(typeof (j.baselines as Record<string, { psnr: number }>).bicubic!.psnr, 'number');
  const noRef = lastJson(cli(['restore', run, low, '--task', 'sr', '--steps', '3', '--out', join(dir, 'sr2.png'), '--json']).stdout);
  assert.equal(noRef.psnr, undefined);
  assert.ok(existsSync(join(dir, 'sr2.png')));
});

test('restore refuses bad inputs with clear messages', () => {
  const corrupt = join(dir, 'corrupt.png');
  writeFileSync(corrupt, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('not really')]));
  const cases: [string[], number, RegExp][] = [
    [[corrupt, '--task', 'denoise'], 2, /Cannot read image .*corrupt\.png: corrupt or unsupported PNG data/],
    [[join(dir, 'missing.png'), '--task', 'denoise'], 2, /Cannot read image .*missing\.png: file not found/],
    [[digit, '--task', 'inpaint', '--mask', digit.replace('digit', 'nomask')], 2, /Cannot read image .*nomask\.png/],
    [[digit, '--task', 'inpaint', '--mask', 'random:2'], 2, /random mask probability must be in \[0, 1\), got "2"/],
    [[digit, '--task', 'denoise', '--step-size', '1e30'], 2, /--step-size takes a number greater than 0 and at most 1; got 1e30/],
    [[digit, '--task', 'sr', '--factor', '3'], 2, /--factor takes one of 2, 4, 8; got 3/],
    [[digit, '--task', 'denoise', '--steps', '0'], 2, /--steps takes a whole number at least 1 and at most 10,000; got 0/],
    [[digit, '--task', 'sr'], 2, /needs a 7x7 input with 1 channel\(s\); got 28x28/],
    [[digit, '--task', 'colorize'], 2, /Colorization needs an RGB model/],
    [[digit, '--task', 'sharpen'], 2, /Allowed choices are inpaint, colorize, sr, denoise/],
    [[digit, '--task', 'denoise', '--from-clean', '--reference', digit], 2, /exclude each other/],
  ];
  const smallMask = join(dir, 'small-mask.png');
  writeFileSync(smallMask, encodePng(new Float32Array(10 * 10).fill(1), 10, 10, 1));
  cases.push([[digit, '--task', 'inpaint', '--mask', smallMask], 2, /Mask .*small-mask\.png is 10x10, but the model works at 28x28/]);
  const out = join(dir, 'x.png');
  for (const [args, code, message] of cases) {
    const r = cli(['restore', run, ...args, '--out', out, '--json']);
    assert.equal(r.status, code, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    assert.match(String(lastJson(r.stdout).error), message, args.join(' '));
    assert.ok(!existsSync(out), `${args.join(' ')}: nothing written`);
  }
  const gif = cli(['restore', run, digit, '--task', 'denoise', '--out', join(dir, 'x.gif'), '--json']);
  assert.equal(gif.status, 2);
  assert.match(String(lastJson(gif.stdout).error), /Output file .*x\.gif must end in \.png, \.jpg or \.jpeg/);
  // A 2-D toy model cannot restore images: said at once, not a shape error.
  writeFileSync(
    join(dir, 'toy.ecvae.json'),
    JSON.stringify({
      data: { kind: 'gaussians25', count: 500 },
      model: { hidden: 8, depth: 1, latentDim: 2 },
      training: { iterations: 2, batchSize: 16 },
      calibration: { sgldSteps: 1 },
    }),
  );
  assert.equal(cli(['train', join(dir, 'toy.ecvae.json'), '--out', join(dir, 'toy'), '--json']).status, 0);
  const toy = cli(['restore', join(dir, 'toy'), digit, '--task', 'denoise', '--out', out, '--json']);
  assert.equal(toy.status, 2);
  assert.match(String(lastJson(toy.stdout).error), /Restoration works on image models; .* models 2-D points \(gaussians25\)/);
});

test('restore and sample write JPEG when the output name asks for it', () => {
  const jpg = join(dir, 'restored.jpg');
  assert.equal(cli(['restore', run, digit, '--task', 'denoise', '--steps', '2', '--out', jpg, '--json']).status, 0);
  assert.deepEqual([...readFileSync(jpg).subarray(0, 3)], [0xff, 0xd8, 0xff], 'JPEG bytes');
  const grid = join(dir, 'grid.jpeg');
  assert.equal(cli(['sample', run, '--n', '4', '--out', grid, '--json']).status, 0);
  assert.deepEqual([...readFileSync(grid).subarray(0, 3)], [0xff, 0xd8, 0xff]);
});

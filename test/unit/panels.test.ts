/**
 * The panels' pure parts: the sidecar request a restoration form becomes, the mask
 * file beside the image (what `ecvae restore --mask` reads back), latent interpolation.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { encodeMask, maskFileOf, readMask } from '../../extension/restore/maskFile.ts';
import { DEFAULT_FORM, restoreRequest } from '../../extension/restore/messages.ts';
import { gridFileName, interpolate } from '../../extension/samples/messages.ts';
import { paramsProblem } from '../../sidecar/params.ts';
import { tempDir } from '../helpers.ts';

test('a form becomes a restore request the protocol schema accepts, with only its task parameters', () => {
  const form = { ...DEFAULT_FORM, checkpoint: '/runs/digits' };
  const inpaint = restoreRequest('/w/digit.png', form, '/w/digit.mask.png');
  assert.deepEqual(inpaint, {
    checkpoint: '/runs/digits',
    image: '/w/digit.png',
    task: 'inpaint',
    steps: 50,
    stepSize: 0.0002,
    energyWeight: 1,
    seed: 0,
    samples: 4,
    previews: true,
    progressEvery: 2,
    mask: '/w/digit.mask.png',
  });
  assert.equal(paramsProblem('restore', inpaint), undefined);
  assert.throws(() => restoreRequest('/w/digit.png', form), /Inpainting needs a mask/);
  const sr = restoreRequest('/w/small.png', { ...form, task: 'sr', factor: 2, fromClean: true, steps: 500 });
  assert.equal(sr.factor, 2);
  assert.equal(sr.fromClean, true);
  assert.equal(sr.progressEvery, 20, 'about 25 frames a run');
  assert.equal('mask' in sr || 'sigma' in sr, false);
  const dn = restoreRequest('/w/noisy.png', { ...form, task: 'denoise', sigma: 0.2 });
  assert.equal(dn.sigma, 0.2);
  assert.equal(paramsProblem('restore', { ...dn, samples: 17 }), 'param "samples" must be <= 16 (got 17).');
});

test('a painted mask is written beside the image as a PNG (white = known) and read back; a foreign file is ignored', () => {
  const dir = tempDir();
  const image = join(dir, 'digit.png');
  assert.equal(maskFileOf(image), join(dir, 'digit.mask.png'));
  assert.equal(maskFileOf(join(dir, 'photo.JPEG')), join(dir, 'photo.mask.png'));
  assert.equal(readMask(image), undefined, 'no mask yet');
  const bits = Array.from({ length: 6 * 4 }, (_, i) => (i % 5 ? 1 : 0));
  writeFileSync(maskFileOf(image), encodeMask(bits, 6, 4));
  assert.deepEqual(readMask(image), { width: 6, height: 4, bits });
  const png = PNG.sync.read(encodeMask(bits, 6, 4));
  assert.deepEqual([png.data[0], png.data[4]], [0, 255], 'missing is black, known is white');
  assert.throws(() => encodeMask([1, 0], 6, 4), /A 6x4 mask needs 24 values, got 2/);
  writeFileSync(maskFileOf(image), 'not a png');
  assert.equal(readMask(image), undefined);
});

test('the samples panel interpolates latents end to end, evenly, and names its saved grid by its settings', () => {
  assert.deepEqual(interpolate([0, 10], [3, 7], 4), [
    [0, 10],
    [1, 9],
    [2, 8],
    [3, 7],
  ]);
  assert.equal(interpolate([1, 2], [5, 6]).length, 8);
  assert.throws(() => interpolate([1], [1, 2]), /Latents of different lengths \(1 and 2\)/);
  assert.equal(gridFileName({ n: 16, seed: 3, mcmcSteps: 0 }), 'samples-seed3-n16.png');
  assert.equal(gridFileName({ n: 16, seed: 3, mcmcSteps: 20 }), 'samples-seed3-n16-mcmc20.png');
});

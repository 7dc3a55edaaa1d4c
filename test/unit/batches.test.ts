/**
 * Training batches: the flip augmentation mirrors whole rows of about half the images,
 * the same way for the same iteration (so a resumed run sees the same batches), and
 * never touches vector data.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { trainingBatch, type Dataset } from '../../sidecar/engine/data/dataset.ts';

const images: Dataset = { name: 't', shape: [2, 3, 2], size: 4, x: Float32Array.from({ length: 4 * 12 }, (_, k) => k), warnings: [] };

test('hflip mirrors each row of about half the images, reproducibly per iteration; off, or on vector data, nothing changes', () => {
  const plain = trainingBatch(images, 4, 7, 1, false);
  assert.deepEqual(trainingBatch({ ...images, shape: [12] }, 4, 7, 1, true), plain, 'vector data is never flipped');
  let flipped = 0;
  for (let t = 1; t <= 200; t++) {
    const a = trainingBatch(images, 4, t, 1, false);
    const b = trainingBatch(images, 4, t, 1, true);
    assert.deepEqual(trainingBatch(images, 4, t, 1, true), b, 'the same iteration flips the same images');
    for (let i = 0; i < 4; i++) {
      const row = (x: Float32Array, r: number) => Array.from(x.subarray(i * 12 + r * 6, i * 12 + r * 6 + 6));
      const mirrored = (r: number) => [4, 5, 2, 3, 0, 1].map((k) => row(a, r)[k]);
      const same = [0, 1].every((r) => row(b, r).join() === row(a, r).join());
      const flip = [0, 1].every((r) => row(b, r).join() === mirrored(r).join());
      assert.ok(same !== flip, `image ${i} of iteration ${t} is either unchanged or mirrored (pixels keep their channels)`);
      if (flip) flipped++;
    }
  }
  assert.ok(flipped > 330 && flipped < 470, `about half of 800 flipped (${flipped})`);
});

/** The learning-rate schedule (training.lrDecay). */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { learningRateFactor } from '../../sidecar/engine/algorithm/schedule.ts';

test('lrDecay 0 keeps the learning rate constant', () => {
  for (const t of [1, 500, 1000, 5000]) assert.equal(learningRateFactor(t, 1000, 0), 1);
});

test('lrDecay 0.5 on 1000 iterations: constant to 500, half at 750, 0 at the end', () => {
  assert.equal(learningRateFactor(1, 1000, 0.5), 1);
  assert.equal(learningRateFactor(500, 1000, 0.5), 1);
  assert.ok(Math.abs(learningRateFactor(750, 1000, 0.5) - 0.5) < 1e-12);
  assert.ok(learningRateFactor(1000, 1000, 0.5) < 1e-12);
  // lrDecay 1 anneals from the first step.
  assert.ok(learningRateFactor(1, 1000, 1) < 1 && learningRateFactor(1, 1000, 1) > 0.99);
});

test('the factor stays in [0, 1] and never rises within a run', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 100_000 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 1.5, noNaN: true }),
      (T, decay, at) => {
        const t = Math.max(1, Math.round(at * T));
        const f = learningRateFactor(t, T, decay);
        const next = learningRateFactor(t + 1, T, decay);
        return f >= 0 && f <= 1 && next <= f;
      },
    ),
  );
});

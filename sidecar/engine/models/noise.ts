/**
 * The injected noise of a decoder that has it (EcvaeModel.decoderNoise: paper64's
 * ResNet18Dec adds 0.1·N(0, 1) maps, fresh on every call in the official code). The
 * decoder takes the maps as an input and stays a pure function; its callers draw them
 * here from their seeded streams: the trainer one set per decoder pass of an iteration,
 * sampling one per chunk of rows.
 */
import * as tf from '../core/tf.ts';
import { deriveSeed } from '../core/rng.ts';
import type { EcvaeModel } from './types.ts';

/** N(0, I) maps [rows, ...shape] for each of the model's noise inputs, seeded by `seed`; undefined for a decoder without noise. */
export function drawDecoderNoise(model: EcvaeModel, rows: number, seed: number): tf.Tensor4D[] | undefined {
  return model.decoderNoise?.map(
    (shape, i) => tf.randomNormal([rows, ...shape] as [number, number, number, number], 0, 1, 'float32', deriveSeed(seed, i)) as tf.Tensor4D,
  );
}

/** Noise maps as named objective inputs (rows first, so the thread pool splits them with the batch): prefix0, prefix1, ... */
export function noiseInputs(prefix: string, noise: tf.Tensor4D[] | undefined): Record<string, tf.Tensor> {
  return Object.fromEntries((noise ?? []).map((t, i) => [`${prefix}${i}`, t]));
}

/** The noise maps named by `noiseInputs`, in order; undefined when there are none. */
export function noiseFrom(inputs: Record<string, tf.Tensor>, prefix: string): tf.Tensor4D[] | undefined {
  const maps: tf.Tensor4D[] = [];
  for (let i = 0; inputs[`${prefix}${i}`]; i++) maps.push(inputs[`${prefix}${i}`] as tf.Tensor4D);
  return maps.length ? maps : undefined;
}

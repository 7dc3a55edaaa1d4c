/**
 * A small MNIST / Fashion-MNIST classifier whose penultimate features define the
 * domain-feature space for FD and precision/recall. Weights are produced by
 * scripts/train-classifier.ts (deterministic seed) and shipped in assets/classifiers/.
 *   conv 3x3 s2 (1->16), lrelu, conv 3x3 s2 (16->32), lrelu, dense 1568->64 (features), lrelu, dense 64->10
 */
import { join } from 'node:path';
import type { ParamSpec, Params } from '../core/params.ts';
import { lrelu } from '../models/layers.ts';
import { Net } from '../models/net.ts';
import { packageRoot } from '../core/paths.ts';
import { readTensorFile } from '../store/tensorfile.ts';
import * as tf from '../core/tf.ts';

export const FEATURE_DIM = 64;

const net = new Net(false);
const conv0 = net.conv('cls.conv0', 3, 1, 16, { out: 14, stride: 2 });
const conv1 = net.conv('cls.conv1', 3, 16, 32, { out: 7, stride: 2 });
const fc = net.dense('cls.fc', 7 * 7 * 32, FEATURE_DIM);
const out = net.dense('cls.out', FEATURE_DIM, 10);

export function classifierSpecs(): ParamSpec[] {
  return net.specs;
}

/** Features [B, 64] of images [B, 28, 28, 1] in [-1, 1]. */
export function classifierFeatures(p: Params, x: tf.Tensor4D): tf.Tensor2D {
  const h = lrelu(conv1(p, lrelu(conv0(p, x))));
  return fc(p, h.reshape([x.shape[0], 7 * 7 * 32]));
}

export function classifierLogits(p: Params, x: tf.Tensor4D): tf.Tensor2D {
  return out(p, lrelu(classifierFeatures(p, x)));
}

export interface ClassifierMeta {
  kind: 'classifier';
  dataset: string;
  testAccuracy: number;
  seed: number;
}

export const classifierPath = (dataset: string): string => join(packageRoot(), 'assets', 'classifiers', `${dataset}.weights`);

export function loadClassifier(dataset: string): { params: Params; meta: ClassifierMeta } {
  const f = readTensorFile<ClassifierMeta>(classifierPath(dataset), 'classifier weights');
  const params: Params = {};
  for (const [name, t] of f.tensors) params[name] = tf.tensor(t.data, t.shape);
  return { params, meta: f.header };
}

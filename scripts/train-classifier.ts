/**
 * Trains the feature classifiers used by `ecvae eval` (domain-feature FD, precision/recall)
 * and writes assets/classifiers/<dataset>.weights. Deterministic (fixed seed, fixed data order).
 *   node --import tsx scripts/train-classifier.ts [mnist|fashion-mnist ...]
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { adamInit, adamStep } from '../sidecar/engine/algorithm/adam.ts';
import { writeFileAtomic } from '../sidecar/engine/store/atomic.ts';
import { selectBackend } from '../sidecar/engine/core/backend.ts';
import { batchIndices, gather } from '../sidecar/engine/data/index.ts';
import { loadMnist, type MnistKind } from '../sidecar/engine/data/mnist.ts';
import { classifierLogits, classifierPath, classifierSpecs, type ClassifierMeta } from '../sidecar/engine/eval/classifier.ts';
import { initParams, valueAndParamGrads, type Params } from '../sidecar/engine/core/params.ts';
import { encodeTensorFile } from '../sidecar/engine/store/tensorfile.ts';
import * as tf from '../sidecar/engine/core/tf.ts';

const SEED = 1234;
const BATCH = 64;
const ITERATIONS = 1500;

await selectBackend('auto');
const kinds = (process.argv.slice(2).length ? process.argv.slice(2) : ['mnist', 'fashion-mnist']) as MnistKind[];
for (const kind of kinds) {
  const train = loadMnist(kind, 'train', kind === 'fashion-mnist' ? 20000 : undefined);
  const testSet = loadMnist(kind, 'test', 2000);
  let params: Params = initParams(classifierSpecs(), SEED);
  let opt = adamInit(params);
  for (let t = 1; t <= ITERATIONS; t++) {
    const idx = batchIndices(train.size, BATCH, t, SEED);
    const x = tf.tensor4d(gather(train, idx), [BATCH, 28, 28, 1]);
    const y = tf.oneHot(
      tf.tensor1d(
        Array.from(idx, (i) => train.labels![i]!),
        'int32',
      ),
      10,
    );
    const { value, grads } = valueAndParamGrads(params, (q) => tf.losses.softmaxCrossEntropy(y, classifierLogits(q, x)) as tf.Scalar);
    const next = adamStep(params, grads, opt, { lr: 1e-3, beta1: 0.9, beta2: 0.999 });
    params = next.params;
    opt = next.state;
    if (t % 250 === 0) process.stderr.write(`${kind} iteration ${t}: loss ${value.dataSync()[0]!.toFixed(4)}\n`);
    [x, y, value, ...Object.values(grads)].forEach((v) => v.dispose());
  }
  let correct = 0;
  for (let i = 0; i < testSet.size; i += 500) {
    const n = Math.min(500, testSet.size - i);
    const idx = Array.from({ length: n }, (_, k) => i + k);
    const pred = tf.tidy(() =>
      classifierLogits(params, tf.tensor4d(gather(testSet, idx), [n, 28, 28, 1]))
        .argMax(1)
        .dataSync(),
    );
    idx.forEach((j, k) => {
      if (pred[k] === testSet.labels![j]) correct++;
    });
  }
  const meta: ClassifierMeta = { kind: 'classifier', dataset: kind, testAccuracy: correct / testSet.size, seed: SEED };
  const file = classifierPath(kind);
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(
    file,
    encodeTensorFile(
      meta,
      Object.keys(params)
        .sort()
        .map((k) => [k, params[k]!]),
    ),
  );
  process.stderr.write(`${kind}: test accuracy ${(100 * meta.testAccuracy).toFixed(2)}% -> ${file}\n`);
}

/**
 * The convolutional energy's head fused into one WASM kernel each way for frozen passes
 * (ops/energyHead.ts): the energies and their gradient with respect to the image equal
 * the composed layers' (on cpu), and the fused kernels run only where they apply.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { buildModel } from '../../sidecar/engine/models/index.ts';
import { initParams } from '../../sidecar/engine/core/params.ts';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { assertClose, useBackend, withDefaults } from '../helpers.ts';

for (const ebmHidden of [12, 10]) {
  test(`frozen energies and image gradients with the fused head equal the composed ones (hidden ${ebmHidden}${ebmHidden % 4 ? ': not fused' : ''})`, async () => {
    const cfg = withDefaults({ data: { kind: 'mnist' }, model: { kind: 'conv', width: 8, latentDim: 4, ebmHidden } });
    const results: Record<string, Float32Array[]> = {};
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      const model = buildModel(cfg.model, [16, 16, 3]);
      const p = initParams(model.specs.ebm, 3);
      const x = tf.randomUniform([5, 16, 16, 3], -1, 1, 'float32', 4);
      const energy = (v: tf.Tensor): tf.Tensor1D => model.energy(p, v, true);
      results[backend] = tf.tidy(() => [
        energy(x).dataSync() as Float32Array,
        tf
          .grad((v: tf.Tensor) => energy(v).sum() as tf.Scalar)(x)
          .dataSync() as Float32Array,
      ]);
      if (backend === 'wasm') {
        const kernels = new Set(
          (await tf.profile(() => void tf.tidy(() => tf.grad((v: tf.Tensor) => energy(v).sum() as tf.Scalar)(x)))).kernels.map((k) => k.name),
        );
        assert.equal(kernels.has('EcvaeEnergyHead') && kernels.has('EcvaeEnergyHeadInputGrad'), ebmHidden % 4 === 0, [...kernels].join(', '));
      }
      tf.dispose([x, ...Object.values(p)]);
    }
    assertClose(results.wasm![0]!, results.cpu![0]!, 1e-4, 1e-5, 'energies');
    assertClose(results.wasm![1]!, results.cpu![1]!, 1e-3, 1e-6, 'image gradients');
  });
}

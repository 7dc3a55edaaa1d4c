/**
 * The convolutional energy's head as one op (ops/energyHead.ts): the energies, their
 * gradient with respect to the image and the head weights' gradients equal the composed
 * layers' (on cpu), and the fused kernels run only where they apply.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { buildModel } from '../../sidecar/engine/models/index.ts';
import { initParams } from '../../sidecar/engine/core/params.ts';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { assertClose, useBackend, withDefaults } from '../helpers.ts';

for (const ebmHidden of [12, 10]) {
  test(`energies, image and head-weight gradients with the fused head equal the composed ones (hidden ${ebmHidden}${ebmHidden % 4 ? ': not fused' : ''})`, async () => {
    const cfg = withDefaults({ data: { kind: 'mnist' }, model: { kind: 'conv', width: 8, latentDim: 4, ebmHidden } });
    const results: Record<string, Float32Array[]> = {};
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      const model = buildModel(cfg.model, [16, 16, 3]);
      const p = initParams(model.specs.ebm, 3);
      const x = tf.randomUniform([5, 16, 16, 3], -1, 1, 'float32', 4);
      const energy = (v: tf.Tensor): tf.Tensor1D => model.energy(p, v);
      const head = ['ebm.head1.w', 'ebm.head1.b', 'ebm.head2.w', 'ebm.head2.b'];
      const withHead = (ws: tf.Tensor[]): typeof p => ({ ...p, ...Object.fromEntries(head.map((n, i) => [n, ws[i]!])) });
      results[backend] = tf.tidy(() => [
        energy(x).dataSync() as Float32Array,
        tf
          .grad((v: tf.Tensor) => energy(v).sum() as tf.Scalar)(x)
          .dataSync() as Float32Array,
        ...tf
          .grads((...ws: tf.Tensor[]) => model.energy(withHead(ws), x).sum() as tf.Scalar)(head.map((n) => p[n]!))
          .map((g) => g.dataSync() as Float32Array),
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
    for (let i = 2; i < 6; i++) assertClose(results.wasm![i]!, results.cpu![i]!, 1e-3, 1e-5, `head weight gradient ${i - 2}`);
  });
}

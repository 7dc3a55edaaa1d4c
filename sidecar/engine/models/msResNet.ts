/**
 * The official multi-scale ResNet energy (models/ebms.py MSResNet, with the stages
 * train_demo.py gives it: [(128, 2), (256, 2), (256, 2), (256, 2)]): three branches on x,
 * avgpool2(x), avgpool4(x), each a 3x3 stem and pre-activation ResBlocks (LeakyReLU 0.2;
 * avgpool 2 before stages 2-4; 1x1 shortcut where channels change); LeakyReLU, global
 * mean; the three concatenated -> linear 2048 -> LeakyReLU -> linear 1; / tau. Its
 * global pooling makes it resolution-agnostic: the official code instantiates it with
 * these stages only, and the presets use it at every size. Init as the official
 * constructor: kaiming-normal (fan in, linear) convs, N(0, 0.01²) linears, zero biases.
 * With spectral norm (apply_sn, use_sn = True) on every conv and linear.
 */
import * as tf from '../core/tf.ts';
import { leakyRelu } from '../ops/elementwise.ts';
import { avgPool2, spatialMean } from '../ops/resample.ts';
import type { Params } from '../core/params.ts';
import { LEAK } from './layers.ts';
import { convLayer, denseLayer } from './paperLayers.ts';
import { kaiming, SpecList } from './specList.ts';

export interface Energy {
  list: SpecList;
  energy(p: Params, x: tf.Tensor, frozen?: boolean): tf.Tensor1D;
}

const lrelu = <T extends tf.Tensor>(x: T): T => leakyRelu(x, LEAK);
const S1 = { stride: 1, pad: 1 };
const PW = { stride: 1, pad: 0 };

export function msResNetEnergy(o: { size: number; channels: number; ch: (n: number) => number; sn: boolean; temperature: number }): Energy {
  const stages: [number, number][] = [
    [o.ch(128), 2],
    [o.ch(256), 2],
    [o.ch(256), 2],
    [o.ch(256), 2],
  ];
  const last = stages[3]![0];
  const ebm = new SpecList(o.sn);
  const branchSizes = [o.size, o.size / 2, o.size / 4];
  for (let r = 0; r < 3; r++) {
    const size0 = branchSizes[r]!;
    let cin = stages[0]![0];
    ebm.conv(`ebm.b${r}.stem`, 3, o.channels, cin, size0, true, kaiming(3, o.channels));
    stages.forEach(([cout, blocks], i) => {
      const size = Math.max(1, size0 / 2 ** i);
      for (let j = 0; j < blocks; j++) {
        const n = `ebm.b${r}.s${i}.${j}`;
        ebm.conv(`${n}.conv1`, 3, cin, cout, size, true, kaiming(3, cin));
        ebm.conv(`${n}.conv2`, 3, cout, cout, size, true, kaiming(3, cout));
        ebm.elementwise((2 * cin + 3 * cout) * size * size); // LeakyReLU before each conv, the residual sum
        if (cin !== cout) ebm.conv(`${n}.shortcut`, 1, cin, cout, size, false, kaiming(1, cin));
        cin = cout;
      }
    });
  }
  ebm.dense('ebm.head1', 3 * last, o.ch(2048), { normalStd: 0.01 });
  ebm.dense('ebm.head2', o.ch(2048), 1, { normalStd: 0.01 });

  function energy(p: Params, x: tf.Tensor, frozen = false): tf.Tensor1D {
    const opt = { sn: o.sn, frozen };
    const inputs = [x as tf.Tensor4D];
    inputs.push(avgPool2(inputs[0]!));
    inputs.push(avgPool2(inputs[1]!));
    const features = inputs.map((input, r) => {
      let h = convLayer(p, `ebm.b${r}.stem`, input, S1, opt);
      let cin = stages[0]![0];
      stages.forEach(([cout, blocks], i) => {
        if (i > 0) h = avgPool2(h);
        for (let j = 0; j < blocks; j++) {
          const n = `ebm.b${r}.s${i}.${j}`;
          const shortcut = cin !== cout ? convLayer(p, `${n}.shortcut`, h, PW, opt) : h;
          const inner = convLayer(p, `${n}.conv2`, lrelu(convLayer(p, `${n}.conv1`, lrelu(h), S1, opt)), S1, opt);
          h = inner.add(shortcut);
          cin = cout;
        }
      });
      return spatialMean(lrelu(h));
    });
    const e = denseLayer(p, 'ebm.head2', lrelu(denseLayer(p, 'ebm.head1', tf.concat(features, 1), opt)), opt);
    return e.reshape([-1]).div(o.temperature) as tf.Tensor1D;
  }
  return { list: ebm, energy };
}

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
import { kaiming, Net } from './net.ts';

export interface Energy {
  net: Net;
  energy(p: Params, x: tf.Tensor): tf.Tensor1D;
}

const lrelu = <T extends tf.Tensor>(x: T): T => leakyRelu(x, LEAK);

/** Pre-activation ResBlock: conv2(lrelu(conv1(lrelu(x)))) + shortcut(x), the shortcut a 1x1 conv where channels change. */
function resBlock(net: Net, n: string, cin: number, cout: number, size: number) {
  const conv1 = net.conv(`${n}.conv1`, 3, cin, cout, { out: size, init: kaiming(3, cin) });
  const conv2 = net.conv(`${n}.conv2`, 3, cout, cout, { out: size, init: kaiming(3, cout) });
  net.elementwise((2 * cin + 3 * cout) * size * size); // LeakyReLU before each conv, the residual sum
  const shortcut = cin !== cout ? net.conv(`${n}.shortcut`, 1, cin, cout, { out: size, bias: false, init: kaiming(1, cin) }) : undefined;
  return (p: Params, x: tf.Tensor4D): tf.Tensor4D => {
    const skip = shortcut ? shortcut(p, x) : x;
    return conv2(p, lrelu(conv1(p, lrelu(x)))).add(skip);
  };
}

export function msResNetEnergy(o: { size: number; channels: number; ch: (n: number) => number; sn: boolean; temperature: number }): Energy {
  // [channels, blocks] per stage; an average pool halves the map before stages 2-4.
  const stages: [number, number][] = [
    [o.ch(128), 2],
    [o.ch(256), 2],
    [o.ch(256), 2],
    [o.ch(256), 2],
  ];
  const last = stages[3]![0];
  const net = new Net(o.sn);
  // Branch r reads the input average-pooled r times.
  const branches = [0, 1, 2].map((r) => {
    const size0 = o.size / 2 ** r;
    let cin = stages[0]![0];
    const stem = net.conv(`ebm.b${r}.stem`, 3, o.channels, cin, { out: size0, init: kaiming(3, o.channels) });
    const blocks = stages.map(([cout, count], i) =>
      Array.from({ length: count }, (_, j) => {
        const block = resBlock(net, `ebm.b${r}.s${i}.${j}`, cin, cout, Math.max(1, size0 / 2 ** i));
        cin = cout;
        return block;
      }),
    );
    return { stem, blocks };
  });
  const head1 = net.dense('ebm.head1', 3 * last, o.ch(2048), { init: { normalStd: 0.01 } });
  const head2 = net.dense('ebm.head2', o.ch(2048), 1, { init: { normalStd: 0.01 } });

  function energy(p: Params, x: tf.Tensor): tf.Tensor1D {
    let input = x as tf.Tensor4D;
    const features = branches.map(({ stem, blocks }, r) => {
      if (r > 0) input = avgPool2(input);
      let h = stem(p, input);
      blocks.forEach((stage, i) => {
        if (i > 0) h = avgPool2(h);
        for (const block of stage) h = block(p, h);
      });
      return spatialMean(lrelu(h));
    });
    const e = head2(p, lrelu(head1(p, tf.concat(features, 1))));
    return e.reshape([-1]).div(o.temperature) as tf.Tensor1D;
  }
  return { net, energy };
}

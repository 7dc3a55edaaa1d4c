/**
 * A small TF.js graph model in the shape of an Inception-v3 conversion (model.json with a
 * GraphDef topology and a weights manifest, one weight shard), written by hand so the FID
 * path is tested without a converter or the network: image input, conv 3x3 stride 8,
 * ReLU, global average pool named "pool_3" ([B, 1, 1, D] like TF's pool_3), seeded weights.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalStream } from '../sidecar/engine/core/rng.ts';

export interface TinyGraphOptions {
  /** The placeholder's shape (default [-1, 299, 299, 3]); channels first takes [-1, 3, H, W]. */
  inputShape?: number[];
  /** Channels first: a Transpose to NHWC opens the graph, as in ONNX-derived conversions. */
  channelsFirst?: boolean;
  /** Feature dimension D (default 16). */
  dim?: number;
  /** Also logits (a dense layer on pool_3) and a max-pool branch, so the graph has two outputs and pool_3 is internal. */
  twoOutputs?: boolean;
  seed?: number;
}

type Attr = Record<string, unknown>;
interface Node {
  name: string;
  op: string;
  input?: string[];
  attr?: Attr;
}
interface Weight {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

const F32 = { type: 'DT_FLOAT' };
const I32 = { type: 'DT_INT32' };
const str = (s: string): { s: string } => ({ s: Buffer.from(s).toString('base64') });
const shapeAttr = (dims: number[]): Attr => ({ shape: { dim: dims.map((d) => ({ size: String(d) })) } });

/** The weights of the tiny model's conv kernel [3, 3, 3, D], seeded. */
export function tinyKernel(dim: number, seed: number): Float32Array {
  const g = normalStream(seed);
  return Float32Array.from({ length: 27 * dim }, () => 0.3 * g());
}

/** Writes model.json and group1-shard1of1.bin into `dir`; returns `dir`. */
export function writeTinyGraphModel(dir: string, o: TinyGraphOptions = {}): string {
  const dim = o.dim ?? 16;
  const seed = o.seed ?? 1;
  const inputShape = o.inputShape ?? (o.channelsFirst ? [-1, 3, 299, 299] : [-1, 299, 299, 3]);
  const nodes: Node[] = [];
  const weights: Weight[] = [];
  const constant = (w: Weight): string => {
    weights.push(w);
    nodes.push({
      name: w.name,
      op: 'Const',
      attr: {
        dtype: w.dtype === 'int32' ? I32 : F32,
        value: { tensor: { dtype: w.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT', tensorShape: shapeAttr(w.shape).shape } },
      },
    });
    return w.name;
  };
  nodes.push({ name: 'input', op: 'Placeholder', attr: { dtype: F32, ...{ shape: shapeAttr(inputShape) } } });
  let x = 'input';
  if (o.channelsFirst) {
    const perm = constant({ name: 'to_nhwc/perm', shape: [4], dtype: 'int32', data: Int32Array.from([0, 2, 3, 1]) });
    nodes.push({ name: 'to_nhwc', op: 'Transpose', input: [x, perm], attr: { T: F32, Tperm: I32 } });
    x = 'to_nhwc';
  }
  const kernel = constant({ name: 'conv/kernel', shape: [3, 3, 3, dim], dtype: 'float32', data: tinyKernel(dim, seed) });
  nodes.push({
    name: 'conv',
    op: 'Conv2D',
    input: [x, kernel],
    attr: {
      T: F32,
      strides: { list: { i: ['1', '8', '8', '1'] } },
      padding: str('SAME'),
      data_format: str('NHWC'),
      dilations: { list: { i: ['1', '1', '1', '1'] } },
    },
  });
  nodes.push({ name: 'relu', op: 'Relu', input: ['conv'], attr: { T: F32 } });
  const axes = constant({ name: 'pool_3/axes', shape: [2], dtype: 'int32', data: Int32Array.from([1, 2]) });
  nodes.push({ name: 'pool_3', op: 'Mean', input: ['relu', axes], attr: { T: F32, Tidx: I32, keep_dims: { b: true } } });
  if (o.twoOutputs) {
    const flat = constant({ name: 'logits/shape', shape: [2], dtype: 'int32', data: Int32Array.from([-1, dim]) });
    nodes.push({ name: 'logits/flat', op: 'Reshape', input: ['pool_3', flat], attr: { T: F32, Tshape: I32 } });
    const g = normalStream(seed + 1);
    const w = constant({ name: 'logits/w', shape: [dim, 10], dtype: 'float32', data: Float32Array.from({ length: dim * 10 }, () => g()) });
    nodes.push({ name: 'logits', op: 'MatMul', input: ['logits/flat', w], attr: { T: F32, transpose_a: { b: false }, transpose_b: { b: false } } });
    nodes.push({ name: 'spatial_max', op: 'Max', input: ['relu', axes], attr: { T: F32, Tidx: I32, keep_dims: { b: false } } });
  }
  const model = {
    format: 'graph-model',
    generatedBy: 'test/graphModel.ts',
    convertedBy: 'test/graphModel.ts',
    modelTopology: { node: nodes, library: {}, versions: { producer: 1286 } },
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: weights.map(({ name, shape, dtype }) => ({ name, shape, dtype })) }],
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.json'), JSON.stringify(model));
  writeFileSync(join(dir, 'group1-shard1of1.bin'), Buffer.concat(weights.map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength))));
  return dir;
}

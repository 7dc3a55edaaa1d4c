/**
 * FID features from an Inception-v3 network the user supplies as a TF.js graph model
 * (model.json and its weight shards, read from the local disk; nothing is fetched).
 * Preprocessing as the common PyTorch FID tool does it: images in [-1, 1], grey repeated
 * to 3 channels, resized bilinearly to the network's input (299 x 299 for Inception-v3;
 * half-pixel centres, as PyTorch's interpolate without align_corners); the features are
 * the named node's output flattened per image: for Inception-v3 the 2048-d global
 * average pool (pool_3). Networks whose graph expects [0, 255] or [0, 1] pixels are out of
 * scope: the input is handed over in [-1, 1], as pytorch-fid hands it to its network.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../../runLayout/errors.ts';
import * as tf from '../core/tf.ts';
import { loadGraphModelSync, type GraphModel as AnyGraphModel } from '../core/tf.ts';

type GraphModel = AnyGraphModel<tf.io.IOHandlerSync>;

export class InceptionError extends UserError {
  constructor(message: string, path?: string) {
    super('file', message, path);
  }
}

export interface InceptionOptions {
  /** A folder with model.json, or the model.json file. */
  path: string;
  /** The node whose output holds the features (default: the graph's only output). */
  output?: string;
}

export interface FeatureNet {
  /** model.json, absolute. */
  model: string;
  output: string;
  /** The [height, width] images are resized to. */
  size: [number, number];
  channelsFirst: boolean;
  /** Images per forward pass: memory is bounded by one batch's activations. */
  batch: number;
  /** Features [B, D] of images [B, h, w, 1 or 3] in [-1, 1]. */
  features(x: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

/** The usual Inception-v3 input side. */
export const INCEPTION_SIZE = 299;
const BATCH = 16;

interface ModelJson {
  format?: string;
  modelTopology?: { node?: { name?: string }[] };
  weightsManifest?: tf.io.WeightsManifestConfig;
}

function readModelJson(path: string): { file: string; json: ModelJson } {
  const p = resolve(path);
  const file = existsSync(p) && statSync(p).isDirectory() ? join(p, 'model.json') : p;
  if (!existsSync(file))
    throw new InceptionError(
      `No Inception model at ${file}: give the folder of a TF.js graph model (model.json and its weight shards) or its model.json.`,
      file,
    );
  let json: ModelJson;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as ModelJson;
  } catch (e) {
    throw new InceptionError(`${file} is not JSON (${(e as Error).message}); the Inception model must be a TF.js graph model's model.json.`, file);
  }
  if (json?.format === 'layers-model' || !Array.isArray(json?.modelTopology?.node) || !Array.isArray(json.weightsManifest))
    throw new InceptionError(
      `${file} is not a TF.js graph model (it needs a GraphDef modelTopology and a weightsManifest; a Layers model does not do): convert the network with tensorflowjs_converter --output_format=tfjs_graph_model.`,
      file,
    );
  return { file, json };
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

function readWeights(file: string, manifest: tf.io.WeightsManifestConfig): ArrayBuffer {
  const parts = manifest.flatMap((g) =>
    g.paths.map((p) => {
      const shard = join(dirname(file), p);
      if (!existsSync(shard)) throw new InceptionError(`The weight shard ${shard} that ${file} lists is missing.`, shard);
      return readFileSync(shard);
    }),
  );
  const bytes = Buffer.concat(parts);
  let want = 0;
  for (const w of tf.io.getWeightSpecs(manifest)) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    want += size * (BYTES[w.quantization?.dtype ?? w.dtype] ?? 4);
  }
  if (bytes.length < want) throw new InceptionError(`The weight shards of ${file} hold ${bytes.length} bytes; its weights manifest needs ${want}.`, file);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** The image layout the graph's single input declares. */
function inputLayout(m: GraphModel, file: string): { size: [number, number]; channelsFirst: boolean } {
  const inputs = m.inputs;
  const describe = inputs.map((i) => `${i.name} [${i.shape?.join(', ') ?? '?'}]`).join(', ');
  if (inputs.length !== 1) throw new InceptionError(`${file} takes ${inputs.length} inputs (${describe}); an Inception model takes one batch of images.`, file);
  const s = inputs[0]!.shape;
  const side = (v: number | undefined): number => (v === undefined || v < 0 ? INCEPTION_SIZE : v);
  if (s?.length === 4 && s[3] === 3) return { size: [side(s[1]), side(s[2])], channelsFirst: false };
  if (s?.length === 4 && s[1] === 3) return { size: [side(s[2]), side(s[3])], channelsFirst: true };
  throw new InceptionError(`${file} takes ${describe}; an Inception model takes RGB images [batch, height, width, 3] (or [batch, 3, height, width]).`, file);
}

function outputName(m: GraphModel, nodes: Set<string>, file: string, wanted?: string): string {
  const outputs = m.outputNodes;
  const list = outputs.join(', ');
  if (wanted !== undefined) {
    if (!nodes.has(wanted.replace(/:\d+$/, '')))
      throw new InceptionError(
        `${file} has no node "${wanted}". Its outputs: ${list}; any node of the graph can be named (for Inception-v3 the 2048-d average pool, pool_3 in TF's graph).`,
        file,
      );
    return wanted;
  }
  if (outputs.length !== 1) throw new InceptionError(`${file} has ${outputs.length} outputs (${list}): name the one that holds the pool features.`, file);
  return outputs[0]!;
}

/** Loads the graph model at `o.path`; the caller disposes it. */
export function loadInception(o: InceptionOptions): FeatureNet {
  const { file, json } = readModelJson(o.path);
  const weightData = readWeights(file, json.weightsManifest!);
  let m: GraphModel;
  try {
    const artifacts = tf.io.getModelArtifactsForJSONSync(json as tf.io.ModelJSON, tf.io.getWeightSpecs(json.weightsManifest!), weightData);
    m = loadGraphModelSync(artifacts);
  } catch (e) {
    throw new InceptionError(`${file} could not be loaded as a TF.js graph model: ${(e as Error).message}`, file);
  }
  try {
    const nodes = new Set(json.modelTopology!.node!.map((n) => n.name ?? ''));
    const output = outputName(m, nodes, file, o.output);
    const { size, channelsFirst } = inputLayout(m, file);
    return {
      model: file,
      output,
      size,
      channelsFirst,
      batch: BATCH,
      features: (x) => features(m, output, size, channelsFirst, x, file),
      dispose: () => m.dispose(),
    };
  } catch (e) {
    m.dispose();
    throw e;
  }
}

function features(m: GraphModel, output: string, size: [number, number], channelsFirst: boolean, x: tf.Tensor4D, file: string): tf.Tensor2D {
  const [b, , , c] = x.shape;
  if (c !== 1 && c !== 3) throw new InceptionError(`Inception features need grey or RGB images; these have ${c} channels.`);
  return tf.tidy(() => {
    const rgb = c === 1 ? tf.tile(x, [1, 1, 1, 3]) : x;
    // Samples a little outside [-1, 1] are clipped, as saving them as images would.
    let input = tf.image.resizeBilinear(rgb.clipByValue(-1, 1) as tf.Tensor4D, size, false, true);
    if (channelsFirst) input = input.transpose([0, 3, 1, 2]);
    let y: tf.Tensor;
    try {
      y = m.execute(input, output) as tf.Tensor;
    } catch (e) {
      throw new InceptionError(`${file} failed on images [${input.shape.join(', ')}] asking for "${output}": ${(e as Error).message}`, file);
    }
    if (y.shape[0] !== b) throw new InceptionError(`"${output}" of ${file} is [${y.shape.join(', ')}], not one row of features per image (${b} images).`, file);
    return y.reshape([b, -1]).cast('float32') as tf.Tensor2D;
  });
}

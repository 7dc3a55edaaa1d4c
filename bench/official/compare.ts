/**
 * The official networks against ours with identical weights: reads what
 * export_official.py wrote (weights in our declaration order, spectral norm's u vectors,
 * inputs, official outputs), loads the weights into our presets at width factor 1,
 * runs the same training-mode forward pass and prints one JSON line per network: the
 * trainable parameter counts (ours, official) and the largest absolute difference of
 * each output relative to the largest official value. Developer-run (docs/paper-setting.md):
 *   npm run bench:official -- --dir /tmp/ecvae-official [--only paper64.decoder,...] [--backend auto]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../../sidecar/engine/core/backend.ts';
import type { BackendName } from '../../sidecar/engine/config/config.ts';
import { initParams, isBufferName, type ParamSpec, type Params } from '../../sidecar/engine/core/params.ts';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { latentEbmModel } from '../../sidecar/engine/models/latentEbm.ts';
import type { PaperArch } from '../../sidecar/engine/models/paper32.ts';
import { OFFICIAL_SPECTRAL_NORM, paperModel } from '../../sidecar/engine/models/paperPresets.ts';
import type { PaperKind } from '../../sidecar/engine/config/sizes.ts';

console.log = console.error; // keep stdout for the JSON result

interface Entry {
  shape: number[];
  offset: number;
  kind?: 'conv' | 'convT' | 'linear' | 'vector';
}
interface Index {
  network: string;
  officialParameters: number;
  temperature?: number;
  tensors: Entry[];
  snU: Entry[];
  inputs: Record<string, Entry>;
  outputs: Record<string, Entry>;
}

const { values } = parseArgs({ options: { dir: { type: 'string' }, only: { type: 'string', default: '' }, backend: { type: 'string', default: 'auto' } } });
if (!values.dir) throw new Error('--dir: the folder export_official.py wrote');
const dir = values.dir;
const only = new Set(values.only!.split(',').filter(Boolean));
await selectBackend(values.backend as 'auto' | BackendName);

function read(bin: Buffer, e: Entry): tf.Tensor {
  const n = e.shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(bin.buffer.slice(bin.byteOffset + e.offset, bin.byteOffset + e.offset + 4 * n));
  return tf.tensor(data, e.shape);
}

/** PyTorch layouts to ours: conv [out, in, kh, kw] -> [kh, kw, in, out]; transposed conv [in, out, kh, kw] -> [kh, kw, in, out]; linear [out, in] -> [in, out]. */
function toOurs(t: tf.Tensor, kind: Entry['kind']): tf.Tensor {
  if (kind === 'conv') return t.transpose([2, 3, 1, 0]);
  if (kind === 'convT') return t.transpose([2, 3, 0, 1]);
  if (kind === 'linear') return t.transpose();
  return t.clone();
}

function load(specs: ParamSpec[], index: Index, bin: Buffer): Params {
  const p = initParams(specs, 0);
  const trainable = specs.filter((s) => !isBufferName(s.name));
  const us = specs.filter((s) => s.name.endsWith('.snU'));
  if (trainable.length !== index.tensors.length || us.length !== index.snU.length)
    throw new Error(`${index.network}: ${trainable.length} tensors and ${us.length} u vectors here, ${index.tensors.length} and ${index.snU.length} exported`);
  const put = (spec: ParamSpec, value: tf.Tensor): void => {
    if (value.shape.join() !== spec.shape.join())
      throw new Error(`${index.network}: ${spec.name} is [${spec.shape}], the official tensor in its place [${value.shape}]`);
    p[spec.name]!.dispose();
    p[spec.name] = value;
  };
  trainable.forEach((s, i) => {
    const raw = read(bin, index.tensors[i]!);
    put(s, toOurs(raw, index.tensors[i]!.kind));
    raw.dispose();
  });
  us.forEach((s, i) => put(s, read(bin, index.snU[i]!)));
  return p;
}

function relative(ours: tf.Tensor, theirs: tf.Tensor): number {
  return tf.tidy(() => ours.sub(theirs).abs().max().div(theirs.abs().max()).dataSync()[0]!);
}

const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -5))
  .filter((n) => only.size === 0 || only.has(n))
  .sort();
let worst = 0;
for (const name of files) {
  const index = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Index;
  const bin = readFileSync(join(dir, `${name}.bin`));
  const inputs = Object.fromEntries(Object.entries(index.inputs).map(([k, e]) => [k, read(bin, e)]));
  const expected = Object.fromEntries(Object.entries(index.outputs).map(([k, e]) => [k, read(bin, e)]));
  const [preset, part] = name.split('.') as [string, 'encoder' | 'decoder' | 'energy' | undefined];
  let specs: ParamSpec[];
  let run: (p: Params) => Record<string, tf.Tensor>;
  if (preset === 'latent_ebm') {
    const m = latentEbmModel({ latentDim: inputs.z!.shape[1]! });
    specs = m.specs;
    run = (p) => ({ energy: m.energy(p, inputs.z as tf.Tensor2D) });
  } else {
    const latentDim = index.inputs.z?.shape[1] ?? expected.mu?.shape[1] ?? 128;
    const arch: PaperArch = {
      channels: 3,
      latentDim,
      widthFactor: 1,
      spectralNorm: OFFICIAL_SPECTRAL_NORM[preset as PaperKind],
      temperature: index.temperature ?? 1,
    };
    const m = paperModel(preset as PaperKind, arch);
    specs = part === 'encoder' ? m.specs.enc : part === 'decoder' ? m.specs.dec : m.specs.ebm;
    const noise = Object.keys(inputs)
      .filter((k) => k.startsWith('noise'))
      .sort()
      .map((k) => inputs[k] as tf.Tensor4D);
    run = (p): Record<string, tf.Tensor> =>
      part === 'encoder'
        ? { ...m.encode(p, inputs.x!) }
        : part === 'decoder'
          ? { image: m.decode(p, inputs.z as tf.Tensor2D, noise.length ? noise : undefined) }
          : { energy: m.energy(p, inputs.x!) };
  }
  const p = load(specs, index, bin);
  const ours = specs.filter((s) => !isBufferName(s.name)).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  const t0 = performance.now();
  const out = tf.tidy(() => run(p));
  const seconds = (performance.now() - t0) / 1000;
  const errors = Object.fromEntries(Object.keys(expected).map((k) => [k, relative(out[k]!, expected[k]!)]));
  worst = Math.max(worst, ...Object.values(errors));
  process.stdout.write(
    JSON.stringify({
      network: name,
      parameters: { ours, official: index.officialParameters },
      max_rel_error: errors,
      batch: Object.values(inputs)[0]!.shape[0],
      seconds: Number(seconds.toFixed(2)),
    }) + '\n',
  );
  tf.dispose([...Object.values(p), ...Object.values(inputs), ...Object.values(expected), ...Object.values(out)]);
}
process.stdout.write(JSON.stringify({ networks: files.length, worst_max_rel_error: worst, within_1e4: worst <= 1e-4 }) + '\n');

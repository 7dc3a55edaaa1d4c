/**
 * `ecvae info`: which backend runs, and why the others do not. With `--model`, the sizes
 * of a config's networks (or of the paper's own, `--model paper32`) instead.
 */
import { describeBackend, selectBackend } from '../../../engine/core/backend.ts';
import { configDataShape } from '../../../engine/config/checks.ts';
import { loadDataset } from '../../../engine/data/index.ts';
import { estimateTrainingMemory } from '../../../engine/core/memory.ts';
import { buildModel } from '../../../engine/models/index.ts';
import { OFFICIAL_PARAMETER_COUNTS, paper32Model } from '../../../engine/models/paper32.ts';
import { describeSummary, millions, summarizeModel } from '../../../engine/models/summary.ts';
import { emit, loadConfig, outOf, type Out } from '../../args.ts';
import type { InfoOptions } from './index.ts';

export async function run(o: InfoOptions): Promise<number> {
  const out = outOf(o);
  if (o.model === 'paper32') return paperSizes(out);
  if (o.model !== undefined) return configSizes(o.model, o, out);
  const report = await selectBackend(o.backend ?? 'auto');
  emit(out, { ok: true, ...report, node: process.version, platform: `${process.platform}-${process.arch}` }, describeBackend(report));
  return 0;
}

/** The config's networks for its data, and what training them takes in memory. */
function configSizes(file: string, o: InfoOptions, out: Out): number {
  const config = loadConfig(file, o.backend);
  const shape = configDataShape(config.data) ?? loadDataset(config.data, config.seed).shape;
  const m = buildModel(config.model, shape);
  const summary = summarizeModel(m);
  const memory = estimateTrainingMemory(m, config.training.batchSize, 1);
  const gb = (b: number): string => `${(b / 2 ** 30).toFixed(2)} GB`;
  emit(
    out,
    { ok: true, model: summary, trainingMemory: memory },
    `${describeSummary(summary)}\n  training at batch ${config.training.batchSize} on one thread: about ${gb(memory.perThreadBytes)} (parameters and optimiser ${gb(memory.paramBytes)}, activations ${gb(memory.activationBytes)})`,
  );
  return 0;
}

/** The paper's networks at the official sizes (3 channels, 128-d latent) and scaled down, beside the official counts. */
function paperSizes(out: Out): number {
  const factors = [1, 1 / 2, 1 / 4, 1 / 8];
  const rows = factors.map((widthFactor) => ({
    widthFactor,
    ...summarizeModel(paper32Model({ channels: 3, latentDim: 128, widthFactor, spectralNorm: ['decoder', 'energy'], temperature: 1 })),
  }));
  const o = OFFICIAL_PARAMETER_COUNTS;
  const human = [
    'paper32 (3 channels, 128-d latent); trainable parameters by width factor:',
    `  ${'factor'.padEnd(8)}${'encoder'.padStart(11)}${'decoder'.padStart(11)}${'energy'.padStart(11)}`,
    ...rows.map(
      (r) =>
        `  ${String(r.widthFactor).padEnd(8)}${millions(r.encoder.parameters).padStart(11)}${millions(r.decoder.parameters).padStart(11)}${millions(r.energy.parameters).padStart(11)}`,
    ),
    `  ${'official'.padEnd(8)}${millions(o.encoder).padStart(11)}${millions(o.decoder).padStart(11)}${millions(o.energy).padStart(11)}  (ResNet18Enc, Generator_32, MSResNet)`,
  ].join('\n');
  emit(out, { ok: true, preset: 'paper32', rows, official: o }, human);
  return 0;
}

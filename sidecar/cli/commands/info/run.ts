/**
 * `ecvae info`: which backend runs, and why the others do not. With `--model`, the sizes
 * of a config's networks (or of the paper's own, `--model paper32|paper64|paper256`) instead.
 */
import { readFileSync } from 'node:fs';
import { describeBackend, selectBackend } from '../../../engine/core/backend.ts';
import { schemaPath } from '../../../engine/core/paths.ts';
import { configDataShape } from '../../../engine/config/checks.ts';
import { loadDataset } from '../../../engine/data/index.ts';
import { estimateTrainingMemory } from '../../../engine/core/memory.ts';
import { buildModel } from '../../../engine/models/index.ts';
import { isPaperKind, PAPER_SIZES, type PaperKind } from '../../../engine/config/sizes.ts';
import { OFFICIAL_COUNTS, OFFICIAL_SPECTRAL_NORM, paperModel } from '../../../engine/models/paperPresets.ts';
import { describeSummary, millions, summarizeModel } from '../../../engine/models/summary.ts';
import { emit, loadConfig, outOf, type Out } from '../../args.ts';
import type { InfoOptions } from './options.ts';

export async function run(o: InfoOptions): Promise<number> {
  const out = outOf(o);
  if (o.model !== undefined && isPaperKind(o.model)) return paperSizes(o.model, out);
  if (o.model !== undefined) return configSizes(o.model, o, out);
  const report = await selectBackend(o.backend ?? 'auto');
  const kinds = dataKinds();
  emit(
    out,
    { ok: true, ...report, node: process.version, platform: `${process.platform}-${process.arch}`, dataKinds: kinds },
    `${describeBackend(report)}\ndata kinds (data.kind in a config; docs/config.md):\n${Object.entries(kinds)
      .map(([k, d]) => `  ${k.padEnd(14)}${d}`)
      .join('\n')}`,
  );
  return 0;
}

/** What each data.kind holds, from the run config schema (the editor's hover says the same). */
function dataKinds(): Record<string, string> {
  const schema = JSON.parse(readFileSync(schemaPath(), 'utf8')) as {
    properties: { data: { properties: { kind: { enum: string[]; enumDescriptions: string[] } } } };
  };
  const kind = schema.properties.data.properties.kind;
  return Object.fromEntries(kind.enum.map((k, i) => [k, kind.enumDescriptions[i] ?? '']));
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

/** Batch the memory estimates of `--model paper*` are for. */
const PAPER_INFO_BATCH = 32;

/** A paper preset's networks at the official sizes (3 channels, 128-d latent) and scaled down, beside the official counts. */
function paperSizes(kind: PaperKind, out: Out): number {
  const factors = [1, 1 / 2, 1 / 4, 1 / 8];
  const rows = factors.map((widthFactor) => {
    const m = paperModel(kind, { channels: 3, latentDim: 128, widthFactor, spectralNorm: OFFICIAL_SPECTRAL_NORM[kind], temperature: 1 });
    return { widthFactor, ...summarizeModel(m), trainingMemory: estimateTrainingMemory(m, PAPER_INFO_BATCH, 1) };
  });
  const o = OFFICIAL_COUNTS[kind];
  const size = PAPER_SIZES[kind];
  const cell = (n: number, w: number): string => (w === 1 ? n.toLocaleString('en-US') : millions(n)).padStart(13);
  const gb = (b: number): string => `${(b / 2 ** 30).toFixed(1)} GB`.padStart(10);
  const human = [
    `${kind} (${size}x${size}x3, 128-d latent; ${o.modules}); trainable parameters by width factor, and training memory at batch ${PAPER_INFO_BATCH} on one thread:`,
    `  ${'factor'.padEnd(8)}${'encoder'.padStart(13)}${'decoder'.padStart(13)}${'energy'.padStart(13)}${'memory'.padStart(10)}`,
    ...rows.map(
      (r) =>
        `  ${String(r.widthFactor).padEnd(8)}${cell(r.encoder.parameters, r.widthFactor)}${cell(r.decoder.parameters, r.widthFactor)}${cell(r.energy.parameters, r.widthFactor)}${gb(r.trainingMemory.perThreadBytes)}`,
    ),
    `  ${'official'.padEnd(8)}${cell(o.encoder, 1)}${cell(o.decoder, 1)}${cell(o.energy, 1)}`,
    ...(o.unused ? [`  (the official count includes ${o.unused.count} weights of ${o.unused.why}; the preset leaves them out)`] : []),
  ].join('\n');
  emit(out, { ok: true, preset: kind, imageSize: size, batch: PAPER_INFO_BATCH, rows, official: o }, human);
  return 0;
}

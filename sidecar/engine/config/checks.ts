/**
 * The config checks a JSON schema cannot express: dataset paths on disk, folder-only
 * fields, image size against model.levels and the paper presets, lambda bounds, and the calibration constraint
 * against the chain's noise floor (docs/calibration.md). Paths in `config` are already
 * defaulted; each problem is added to the builder at its field.
 */
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { CalibrationConfig, DataConfig, RunConfig } from './config.generated.ts';
import { isPaperKind, PAPER_SIZES, type PaperKind } from './sizes.ts';
import type { DiagnosticBuilder } from './diagnostics.ts';

export function semanticChecks(config: RunConfig, baseDir: string, d: DiagnosticBuilder): void {
  const { data, model, calibration } = config;
  const isImage = data.kind !== 'gaussians25';
  const onDisk = data.kind === 'folder' || data.kind in NATIVE_SIZE;
  if (onDisk) {
    const what =
      data.kind === 'folder'
        ? 'the folder that holds the PNG/JPEG images'
        : `a ${data.kind} data file or the folder the dataset unpacks to${ARCHIVE_HINT[data.kind] ?? ''}`;
    if (!data.path) d.add('error', ['data'], `data.kind "${data.kind}" needs "data.path": ${what}.`);
    if (data.kind === 'folder' && !data.size) d.add('error', ['data'], 'data.kind "folder" needs "data.size": the square image size to train at, e.g. 32.');
    if (data.path) {
      const abs = isAbsolute(data.path) ? data.path : resolve(baseDir, data.path);
      let isDir = false;
      try {
        isDir = statSync(abs).isDirectory();
      } catch {
        const paperData = data.kind === 'folder' && isPaperKind(model.kind) ? PAPER_DATA_HINT[model.kind] : undefined;
        d.add(
          'error',
          ['data', 'path'],
          `Dataset path does not exist: ${abs}. Give ${what} (relative paths are relative to the config file).${paperData ? ` ${paperData}` : ''}`,
        );
      }
      if (data.kind === 'folder' && !isDir && existsQuiet(abs)) d.add('error', ['data', 'path'], `Dataset path is not a folder: ${abs}.`);
    }
  } else {
    // (channels and onBadImage always carry schema defaults, so only these can tell.)
    for (const f of ['path', 'size', 'resize'] as const) {
      if (data[f] !== undefined)
        d.add(
          'warning',
          ['data', f],
          `"data.${f}" is only used with data read from disk (folder, cifar10, cifar100, stl10, idx); it is ignored for "${data.kind}".`,
        );
    }
  }
  if (data.hflip && !isImage) d.add('warning', ['data', 'hflip'], `"data.hflip" flips images; it is ignored for "${data.kind}".`);
  const kind = model.kind === 'auto' ? (isImage ? 'conv' : 'mlp') : model.kind;
  if (kind === 'conv' && !isImage) {
    d.add('error', ['model', 'kind'], 'model.kind "conv" needs image data; use "mlp" (or "auto") for gaussians25.');
  }
  if (kind === 'conv' && isImage && model.levels !== undefined) {
    const size = imageSize(data);
    const f = 2 ** model.levels;
    if (size !== undefined && size % f !== 0) {
      const fits = [1, 2, 3, 4, 5, 6].filter((l) => size % 2 ** l === 0);
      d.add(
        'error',
        ['model', 'levels'],
        `Image size ${size} is not divisible by 2^levels = ${f}. ` +
          (fits.length ? `Use model.levels ${fits.join(' or ')}, or change the image size.` : 'Use an even image size.'),
      );
    }
  }
  if (isPaperKind(kind)) paperChecks(kind, config, isImage, d);
  flowChecks(config, d);
  if (kind !== 'mlp') {
    for (const f of ['energyFourier', 'decoderFourier'] as const) {
      if (model[f].count !== 'auto' && model[f].count > 0)
        d.add('warning', ['model', f, 'count'], `"model.${f}" is only used by mlp models; it is ignored for model.kind "${kind}".`);
    }
  }
  if (kind !== 'conv' && model.ebmWidth !== undefined)
    d.add('warning', ['model', 'ebmWidth'], `"model.ebmWidth" is only used by conv models; it is ignored for model.kind "${kind}".`);
  if (kind !== 'conv' && model.ebmHead === 'flatten')
    d.add('warning', ['model', 'ebmHead'], `"model.ebmHead" is only used by conv models; it is ignored for model.kind "${kind}".`);
  if (calibration.enabled) calibrationChecks(config, d);
  if (calibration.lambdaInit > calibration.lambdaMax) {
    d.add(
      'error',
      ['calibration', 'lambdaInit'],
      `calibration.lambdaInit (${calibration.lambdaInit}) is above calibration.lambdaMax (${calibration.lambdaMax}).`,
    );
  }
  if (config.logging.every > config.training.iterations) {
    d.add(
      'warning',
      ['logging', 'every'],
      `logging.every (${config.logging.every}) is larger than training.iterations (${config.training.iterations}); only the final iteration is logged.`,
    );
  }
}

/** The paper's networks are built for one image size each (their decoders upsample 4 -> 8 -> ... -> that size). */
function paperChecks(kind: PaperKind, { data }: RunConfig, isImage: boolean, d: DiagnosticBuilder): void {
  if (!isImage) {
    d.add('error', ['model', 'kind'], `model.kind "${kind}" needs image data; use "mlp" (or "auto") for gaussians25.`);
    return;
  }
  const want = PAPER_SIZES[kind];
  const size = imageSize(data);
  if (size !== undefined && size !== want) {
    const how =
      data.kind === 'mnist' || data.kind === 'fashion-mnist'
        ? `read the images from disk (data.kind "idx" or "folder") with "data.size": ${want}`
        : `set "data.size": ${want}`;
    d.add('error', ['model', 'kind'], `model.kind "${kind}" trains on ${want}x${want} images, and these are ${size}x${size}: ${how}.`);
  }
}

/** The flows of docs/flows.md: a RealNVP needs two dimensions to split; options that another setting makes moot. */
function flowChecks({ data, model, calibration }: RunConfig, d: DiagnosticBuilder): void {
  if (model.kind === 'flow' && model.prior === 'realnvp')
    d.add('warning', ['model', 'prior'], 'model.prior "realnvp" is ignored for model.kind "flow": the flow is the generator, its base noise is the prior.');
  else if (model.prior === 'realnvp' && model.latentDim < 2)
    d.add('error', ['model', 'latentDim'], `A RealNVP prior splits the latent in two halves: model.latentDim must be at least 2 (got ${model.latentDim}).`);
  if (calibration.latentPrior && (model.prior !== 'realnvp' || model.kind === 'flow'))
    d.add(
      'warning',
      ['calibration', 'latentPrior'],
      'calibration.latentPrior calibrates a learned latent prior: it needs model.prior "realnvp" (and a VAE, not model.kind "flow"); it is ignored here.',
    );
  else if (calibration.enabled && calibration.latentPrior && data.kind !== 'gaussians25')
    d.add('warning', ['calibration', 'latentPrior'], LATENT_PRIOR_ON_IMAGES);
  if (calibration.enabled && model.kind === 'flow' && data.kind !== 'gaussians25') d.add('warning', ['model', 'kind'], CALIBRATED_FLOW_ON_IMAGES);
}

/** Measured on MNIST (docs/flows.md, "Why the latent calibration fails"). */
const LATENT_PRIOR_ON_IMAGES =
  'calibration.latentPrior on images made MNIST samples worse on every seed measured (FD 1,288 ± 673 against 176 with the same flow prior uncalibrated): ' +
  "its latent chain takes the pixel chain's steps (calibration.sgldStepSize), and through the decoder the latent target moves the image about 35x as far as the pixel chain's target and lowers its energy about 20x as much " +
  '(npm run bench:latent-chain), a pull strong enough to exploit the energy. docs/flows.md.';
const CALIBRATED_FLOW_ON_IMAGES =
  'A calibrated flow on images was not better than the plain flow on MNIST (FD 684, 756, 3,458 against 666, 727, 712 on three seeds), and on one seed the energy ran away on the ' +
  "flow's samples (E(neg) to -244 against E(data) -29 in the last 75 iterations): watch eNeg against eHeld, or train the flow with calibration.enabled false. docs/flows.md.";

/** Values per example: what the calibration distance and the noise floor scale with. */
function dataDimensions(data: DataConfig): number | undefined {
  switch (data.kind) {
    case 'gaussians25':
      return 2;
    case 'mnist':
    case 'fashion-mnist':
      return 28 * 28;
    default: {
      const size = imageSize(data);
      return size === undefined ? undefined : size * size * data.channels;
    }
  }
}

/** Where the paper's image datasets come from and how they unpack into an image folder (the project cannot ship them). */
const PAPER_DATA_HINT: Partial<Record<PaperKind, string>> = {
  paper64:
    'The paper trains paper64 on CelebA at 64x64: download img_align_celeba.zip ("Align&Cropped Images" from mmlab.ie.cuhk.edu.hk/projects/CelebA.html) and unzip it into data/, which gives data/img_align_celeba/ with 202,599 .jpg files (centre-cropped and resized to data.size).',
  paper256:
    'The paper trains paper256 on CelebA-HQ at 256x256: download CelebAMask-HQ.zip (github.com/switchablenorms/CelebAMask-HQ) and unzip it into data/, which gives data/CelebAMask-HQ/CelebA-HQ-img/ with 30,000 1024x1024 .jpg files (resized to data.size).',
};

/** What the datasets' own binary archives unpack to (the project cannot ship them). */
const ARCHIVE_HINT: Partial<Record<DataConfig['kind'], string>> = {
  cifar10: ' (cifar-10-binary.tar.gz unpacks to cifar-10-batches-bin/)',
  cifar100: ' (cifar-100-binary.tar.gz unpacks to cifar-100-binary/)',
  stl10: ' (stl10_binary.tar.gz unpacks to stl10_binary/)',
};

/** The side length of a binary dataset's images as stored (IDX files say it themselves). */
const NATIVE_SIZE: Partial<Record<DataConfig['kind'], number>> = { cifar10: 32, cifar100: 32, stl10: 96, idx: undefined };

/** The square size images are trained at, when the config alone tells. */
/** The shape of one example as the config alone tells it ([2] or [H, W, C]); undefined for IDX files without data.size. */
export function configDataShape(data: DataConfig): number[] | undefined {
  if (data.kind === 'gaussians25') return [2];
  const size = imageSize(data);
  const channels = data.kind === 'mnist' || data.kind === 'fashion-mnist' ? 1 : data.channels;
  return size === undefined ? undefined : [size, size, channels];
}

function imageSize(data: DataConfig): number | undefined {
  if (data.kind === 'mnist' || data.kind === 'fashion-mnist') return 28;
  return data.size ?? NATIVE_SIZE[data.kind];
}

/**
 * The expected squared norm of a chain's injected noise, K·D·eta·noiseScale^2: with
 * distance "chain" cal can never go below it (bench/oracle/README.md §2).
 */
function noiseFloor(c: CalibrationConfig, dims: number): number {
  return c.sgldSteps * dims * c.sgldStepSize * c.sgldNoiseScale ** 2;
}

function calibrationChecks(config: RunConfig, d: DiagnosticBuilder): void {
  const c = config.calibration;
  if (c.distance === 'drift' && c.epsilon <= 0) {
    d.add('error', ['calibration', 'epsilon'], 'calibration.epsilon must be > 0 with calibration.distance "drift" (the dual step is relative to it).');
  }
  const dims = dataDimensions(config.data);
  if (c.distance !== 'chain' || dims === undefined) return;
  const floor = noiseFloor(c, dims);
  if (floor >= c.epsilon) {
    d.add(
      'warning',
      ['calibration', 'epsilon'],
      `With distance "chain", cal includes the Langevin noise, at least K·D·eta·noiseScale^2 = ${floor.toPrecision(3)} here, which is above epsilon ${c.epsilon}: the constraint is always violated and lambda grows on noise alone. Use distance "drift", or raise epsilon above the floor.`,
    );
  } else if (floor < c.epsilon / 20) {
    d.add(
      'warning',
      ['calibration', 'epsilon'],
      `With distance "chain", epsilon ${c.epsilon} is ${Math.round(c.epsilon / floor)}x the noise floor ${floor.toPrecision(3)}: the constraint may never be active, and lambda only decays. Use distance "drift" for a constraint on the energy's pull alone.`,
    );
  }
}

function existsQuiet(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

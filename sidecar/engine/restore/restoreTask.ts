/**
 * One restoration request end to end: validate it against the model, build the
 * degradation, observe (or take) y, restore, run the baselines, and measure everything
 * against a reference when there is one. Used by the CLI, the bench and the sidecar.
 */
import * as tf from '../core/tf.ts';
import type { TrainedModel } from '../store/trainedModel.ts';
import { meanSsim, psnr } from './metrics.ts';
import { DEGRADATIONS, observe, RestoreError, type ModelImage, type Task, type TaskParams } from './degradations.ts';
import { restore, RESTORE_DEFAULTS, type EstimateWatcher, type RestoreOptions } from './restore.ts';
import { allFinite, type Params } from '../core/params.ts';

export { RestoreError };

export interface RestoreRequest extends TaskParams {
  task: Task;
  /** The degraded observation y ([B, h, w, c]); or give `clean` to have it degraded here. */
  observed?: tf.Tensor4D;
  /** A clean batch: y = A clean (+ noise) and `clean` is the reference. */
  clean?: tf.Tensor4D;
  /** Ground truth for metrics when `observed` is given. */
  reference?: tf.Tensor4D;
  options: RestoreOptions;
  /**
   * Posterior samples of one image (default 1): the chain runs on that many copies of y,
   * each with its own Langevin noise, so the spread of the restorations shows.
   */
  samples?: number;
  /** Sees the current estimates (all samples, [samples, H, W, C]) every few steps. */
  watch?: EstimateWatcher;
}

export interface Scores {
  psnr?: number;
  ssim?: number;
}

export interface RestoreReport extends Scores {
  task: Task;
  degradation: string;
  n: number;
  /** Each posterior sample's scores when there are several (the top-level scores are their mean). */
  perSample?: Scores[];
  baselines: Record<string, Scores>;
  secondsPerImage: number;
  options: RestoreOptions;
}

export interface RestoreResult {
  output: tf.Tensor4D;
  observed: tf.Tensor4D;
  baselines: Record<string, tf.Tensor4D>;
  report: RestoreReport;
  dispose(): void;
}

/** Posterior samples per request: each is a full chain, and the panel shows them in one strip. */
const MAX_SAMPLES = 16;

function modelImage(m: TrainedModel, seed: number): ModelImage {
  const [size, , channels] = m.model.dataShape as [number, number, number];
  return { size, channels, seed };
}

function scores(x: tf.Tensor4D, ref: tf.Tensor4D | undefined): Scores {
  return ref ? { psnr: psnr(x, ref), ssim: meanSsim(x, ref) } : {};
}

/** Restoration needs an image model with its energy model. */
export function requireImageModel(m: TrainedModel): asserts m is TrainedModel & { ebm: Params } {
  if (m.model.dataShape.length !== 3)
    throw new RestoreError(`Restoration works on image models; ${m.file} models ${m.model.dataShape.join('x')}-D points (${m.config.data.kind}).`);
  if (!m.ebm) throw new RestoreError(`Restoration needs the energy model, but ${m.file} is a plain VAE (trained with calibration.enabled false).`);
}

export async function restoreTask(m: TrainedModel, r: RestoreRequest, signal?: AbortSignal): Promise<RestoreResult> {
  requireImageModel(m);
  if (!r.observed && !r.clean) throw new RestoreError('Nothing to restore: give an observed (degraded) image or a clean one to degrade.');
  const samples = r.samples ?? 1;
  if (!(Number.isInteger(samples) && samples >= 1 && samples <= MAX_SAMPLES))
    throw new RestoreError(`Posterior samples must be an integer in [1, ${MAX_SAMPLES}] (got ${samples}).`);
  if (samples > 1 && (r.observed ?? r.clean)!.shape[0] !== 1)
    throw new RestoreError(`Posterior samples are drawn for one image at a time; this request has ${(r.observed ?? r.clean)!.shape[0]}.`);
  const op = DEGRADATIONS[r.task].create(r, modelImage(m, r.options.seed));
  try {
    const want = DEGRADATIONS[r.task].observedShape(r, modelImage(m, 0));
    const y = r.observed ? r.observed.clone() : observe(op, r.clean!, r.options.seed + 1);
    const got = y.shape.slice(1);
    if (got.join('x') !== want.join('x')) {
      y.dispose();
      const [size] = m.model.dataShape;
      throw new RestoreError(
        `For ${op.describe} this model (${size}x${size}) needs a ${want[0]}x${want[1]} input with ${want[2]} channel(s); got ${got[0]}x${got[1]} with ${got[2]}. ` +
          (r.task === 'sr' ? 'Give the low-resolution image.' : 'Larger images are not tiled: crop or resize to the model size first.'),
      );
    }
    const reference = r.clean ?? r.reference;
    const t0 = performance.now();
    let output: tf.Tensor4D;
    const chains = samples > 1 ? (tf.tile(y, [samples, 1, 1, 1]) as tf.Tensor4D) : y;
    try {
      output = await restore(m.model, m.vae, m.ebm, op, chains, r.options, {
        temperature: m.config.model.temperature,
        signal,
        ...(r.watch ? { watch: r.watch } : {}),
      });
    } catch (err) {
      y.dispose();
      throw err;
    } finally {
      if (chains !== y) chains.dispose();
    }
    const seconds = (performance.now() - t0) / 1000;
    if (!allFinite({ output })) {
      [output, y].forEach((t) => t.dispose());
      throw new RestoreError(
        `The restoration diverged (non-finite values) with step size ${r.options.stepSize}: lower the step size (default ${RESTORE_DEFAULTS.stepSize}).`,
      );
    }
    const base = op.baselines(y);
    const perSample =
      samples > 1 && reference
        ? Array.from({ length: samples }, (_, i) => {
            const one = output.slice(i, 1);
            const s = scores(one, reference);
            one.dispose();
            return s;
          })
        : undefined;
    const mean = (k: keyof Scores): number => perSample!.reduce((a, s) => a + s[k]!, 0) / samples;
    const report: RestoreReport = {
      task: r.task,
      degradation: op.describe,
      n: y.shape[0],
      ...(perSample ? { psnr: mean('psnr'), ssim: mean('ssim'), perSample } : scores(output, reference)),
      baselines: Object.fromEntries(Object.entries(base).map(([k, v]) => [k, scores(v, reference)])),
      secondsPerImage: seconds / output.shape[0],
      options: r.options,
    };
    return {
      output,
      observed: y,
      baselines: base,
      report,
      dispose() {
        output.dispose();
        y.dispose();
        Object.values(base).forEach((b) => b.dispose());
      },
    };
  } finally {
    op.dispose();
  }
}

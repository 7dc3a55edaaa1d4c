/** Recording a training run as it goes: metrics records, sample grids, checkpoints, and its status at the end. */
import { sampleRangeWarning } from '../algorithm/health.ts';
import { generate, refine } from '../algorithm/sample.ts';
import { DivergenceError, type IterationMetrics } from '../algorithm/trainer.ts';
import type { RunConfig } from '../config/config.ts';
import { allFinite } from '../core/params.ts';
import * as tf from '../core/tf.ts';
import type { Dataset } from '../data/index.ts';
import { saveCheckpoint } from '../store/checkpoint.ts';
import { writeSamples } from '../store/pictures.ts';
import { samplePath, type MetricsRecord, type RunStatus } from '../../runLayout/runFolder.ts';
import { appendMetrics, writeStatus } from '../store/runWriter.ts';
import type { OpenedRun } from './openRun.ts';
import type { RunEvents } from './runTypes.ts';

/** Every field the trainer logs is one the protocol's MetricsRecord declares (schemas/ecvae-protocol.schema.json): a new one must be added there. */
void (true satisfies Exclude<keyof IterationMetrics, keyof MetricsRecord> extends never ? true : never);

/**
 * A run's sample grid: how many samples it shows, and the data points drawn under them.
 * 2-D data is a scatter plot, 16x denser than an image grid, over as many data points.
 */
export function sampleGrid(ds: Dataset, sampleCount: number): { n: number; reference: Float32Array | undefined } {
  const points = ds.shape.length === 1;
  return { n: points ? sampleCount * 16 : sampleCount, reference: points ? ds.x.subarray(0, Math.min(ds.size, sampleCount * 16) * ds.shape[0]!) : undefined };
}

/** What a run writes as it goes: metrics records, sample grids, checkpoints, and its status at the end. */
export class RunRecorder {
  checkpoint: string | undefined;
  last: MetricsRecord | undefined;
  readonly start = performance.now();
  private windowStart = this.start;
  private windowIters = 0;
  private readonly grid: { n: number; reference: Float32Array | undefined };

  constructor(
    private readonly runDir: string,
    private readonly config: RunConfig,
    private readonly run: OpenedRun,
    private readonly ev: RunEvents,
    private readonly log: (m: string) => void,
  ) {
    this.checkpoint = run.resumeFile;
    this.grid = sampleGrid(run.dataset, config.logging.sampleCount);
  }

  /** After iteration `t`: a metrics record every logging.every iterations (and at the end), samples and checkpoints on their periods. */
  afterIteration(t: number, m: IterationMetrics, observe: (last: MetricsRecord) => void): void {
    const L = this.config.logging;
    this.windowIters++;
    if (t % L.every === 0 || t === this.run.total) {
      const now = performance.now();
      this.last = { ...m, itPerSec: (this.windowIters * 1000) / Math.max(now - this.windowStart, 1e-6), elapsed: (now - this.start) / 1000 };
      observe(this.last);
      this.windowStart = now;
      this.windowIters = 0;
      appendMetrics(this.runDir, this.last);
      this.ev.onMetrics?.(this.last, this.run.total);
    }
    if (t % L.sampleEvery === 0) this.saveSamples();
    if (t % L.checkpointEvery === 0) this.saveCheckpoint();
  }

  /** The last samples and checkpoint (unless this iteration has them already), then the final status. */
  finish(status: RunStatus, startIteration: number): void {
    const L = this.config.logging;
    const { state } = this.run;
    if (state.iteration > startIteration || !this.checkpoint) {
      if (state.iteration % L.sampleEvery !== 0) this.saveSamples();
      if (state.iteration % L.checkpointEvery !== 0 || !this.checkpoint) this.saveCheckpoint();
    }
    writeStatus(this.runDir, { status, iteration: state.iteration, total: this.run.total });
  }

  /** Status "failed" with the reason and the last good checkpoint. */
  fail(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    writeStatus(this.runDir, {
      status: 'failed',
      iteration: this.run.state.iteration,
      total: this.run.total,
      message: this.checkpoint ? `${message} Last good checkpoint: ${this.checkpoint}` : message,
    });
    if (err instanceof DivergenceError) this.log(`last good checkpoint: ${this.checkpoint ?? 'none'}`);
  }

  private saveCheckpoint(): void {
    const { state, dataset, fingerprint } = this.run;
    if (!allFinite(state.vae) || (state.ebm && !allFinite(state.ebm))) throw new DivergenceError(state.iteration, { parameters: NaN });
    this.checkpoint = saveCheckpoint(this.runDir, state, this.config, dataset.shape, this.config.logging.keepCheckpoints, { dataFingerprint: fingerprint });
    this.ev.onCheckpoint?.(this.checkpoint, state.iteration);
  }

  private saveSamples(): void {
    const { state, model } = this.run;
    const { config, runDir, grid } = this;
    const x = generate(model, state.vae, grid.n, config.seed);
    const checkRange = (s: tf.Tensor, which: string): void => {
      const range = sampleRangeWarning(
        tf.tidy(() => s.abs().mean().dataSync()[0]!),
        state.iteration,
        which,
      );
      if (range) this.log(range);
    };
    checkRange(x, 'one-step');
    const one = samplePath(runDir, state.iteration, 'one-step');
    writeSamples(one, model.dataShape, x, grid.reference);
    this.ev.onSamples?.(one, state.iteration, 'one-step');
    if (config.logging.sampleMcmcSteps > 0 && state.ebm) {
      const r = refine(model, state.ebm, x, config.logging.sampleMcmcSteps, config, config.seed);
      checkRange(r, 'MCMC-refined');
      const file = samplePath(runDir, state.iteration, 'mcmc');
      writeSamples(file, model.dataShape, r, grid.reference);
      r.dispose();
      this.ev.onSamples?.(file, state.iteration, 'mcmc');
    }
    x.dispose();
  }
}

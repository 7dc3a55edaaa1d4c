/**
 * The calibration watch of a run: at each logged iteration it measures the energy of a
 * fixed held-out batch (E(data) on examples the energy never trained on, so that a gap
 * eNeg - eHeld > 0 means the energy tells data from samples rather than memorising the
 * training set), adds it to the record, and keeps the verdict of health.ts over a window
 * of records, logging when calibration turns inactive and when it is active again, and
 * when the dual ascent holds λ at its ceiling and when it leaves it.
 */
import type { RunConfig } from '../config/config.ts';
import { loadProbe, type Dataset } from '../data/index.ts';
import { calibrationHealth, HEALTH_DEFAULTS, lambdaCeilingWarning, type LambdaSettings } from './health.ts';
import type { EcvaeModel } from '../models/index.ts';
import type { Params } from '../core/params.ts';
import type { MetricsRecord } from '../../runLayout/runFolder.ts';
import * as tf from '../core/tf.ts';

/** Examples in the held-out energy probe. */
const PROBE_SIZE = 256;

export class CalibrationWatch {
  private readonly recent: MetricsRecord[] = [];
  private healthy = true;
  private atCeiling = false;

  private constructor(
    private readonly model: EcvaeModel,
    private readonly probe: tf.Tensor,
    private readonly lambda: LambdaSettings,
    private readonly log: (m: string) => void,
  ) {}

  /** Undefined for a plain VAE: nothing to watch. */
  static create(
    config: Pick<RunConfig, 'calibration' | 'data' | 'seed'>,
    dataset: Dataset,
    model: EcvaeModel,
    log: (m: string) => void,
  ): CalibrationWatch | undefined {
    if (!config.calibration.enabled) return undefined;
    const p = loadProbe(config.data, config.seed, PROBE_SIZE, dataset);
    if (!p.heldOut) log('note: this dataset has no held-out part; the energy probe (eHeld) uses training examples');
    return new CalibrationWatch(model, tf.tensor(p.x, [p.size, ...dataset.shape]), config.calibration, log);
  }

  /** Adds eHeld, gap and (while inactive, or while λ is at its ceiling) calibrationWarning to a logged record. */
  observe(record: MetricsRecord, ebm: Params): void {
    if (record.eNeg === undefined) return;
    const eHeld = tf.tidy(() => this.model.energy(ebm, this.probe).mean().dataSync()[0]!);
    Object.assign(record, { eHeld, gap: record.eNeg - eHeld });
    this.recent.push(record);
    if (this.recent.length > HEALTH_DEFAULTS.window) this.recent.shift();
    const verdict = calibrationHealth(this.recent);
    if (verdict && verdict.active !== this.healthy) {
      this.log(verdict.active ? `calibration active again at iteration ${record.iteration}` : `warning: ${verdict.reason}`);
      this.healthy = verdict.active;
    }
    const ceiling = lambdaCeilingWarning(this.recent, this.lambda);
    if (!!ceiling !== this.atCeiling) {
      this.log(ceiling ? `warning: ${ceiling}` : `lambda below its ceiling again at iteration ${record.iteration}`);
      this.atCeiling = !!ceiling;
    }
    const warning = [verdict?.reason, ceiling].filter(Boolean).join(' ');
    if (warning) record.calibrationWarning = warning;
  }

  dispose(): void {
    this.probe.dispose();
  }
}

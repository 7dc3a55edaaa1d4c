/** A trained model loaded from a checkpoint, for sampling, evaluation and restoration. */
import { assertMatchesModel, paramsFrom, readCheckpoint, resolveCheckpoint } from './checkpoint.ts';
import type { RunConfig } from '../config/config.ts';
import { buildModel, type EcvaeModel } from '../models/index.ts';
import { disposeParams, type Params } from '../core/params.ts';

export interface TrainedModel {
  file: string;
  iteration: number;
  config: RunConfig;
  model: EcvaeModel;
  vae: Params;
  /** Absent for a plain VAE (calibration.enabled false). */
  ebm?: Params;
  dispose(): void;
}

/** `arg` is a checkpoint file or a run folder (its latest checkpoint). */
export function loadTrained(arg: string): TrainedModel {
  const c = readCheckpoint(resolveCheckpoint(arg));
  const model = buildModel(c.header.config.model, c.header.dataShape);
  assertMatchesModel(c, [...model.specs.enc, ...model.specs.dec], 'vae');
  const vae = paramsFrom(c, 'vae')!;
  const ebm = paramsFrom(c, 'ebm');
  if (ebm) assertMatchesModel(c, model.specs.ebm, 'ebm');
  return {
    file: c.file,
    iteration: c.header.iteration,
    config: c.header.config,
    model,
    vae,
    ...(ebm ? { ebm } : {}),
    dispose() {
      disposeParams(vae);
      if (ebm) disposeParams(ebm);
    },
  };
}

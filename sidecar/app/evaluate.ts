/** The eval use case (`ecvae eval`): sample-quality metrics of a checkpoint. */
import { selectBackend } from '../engine/core/backend.ts';
import { evaluate as evaluateModel, type EvalOptions, type EvalResult } from '../engine/eval/evaluate.ts';
import { loadInception, type InceptionOptions } from '../engine/eval/inception.ts';
import { loadTrained } from '../engine/store/trainedModel.ts';
import type { UseCase } from './context.ts';

export interface EvaluateParams extends Omit<EvalOptions, 'inception'> {
  /** A checkpoint file or a run folder (its latest checkpoint). */
  checkpoint: string;
  /** An Inception-v3 TF.js graph model: fid is reported beside the other metrics. */
  inception?: InceptionOptions;
}

export interface EvaluateOutcome extends EvalResult {
  checkpoint: string;
  iteration: number;
  backend: string;
}

export async function evaluate({ checkpoint, inception, ...o }: EvaluateParams, ctx: UseCase = {}): Promise<EvaluateOutcome> {
  const report = await selectBackend(ctx.backend ?? 'auto');
  const m = loadTrained(checkpoint);
  let net;
  try {
    net = inception ? loadInception(inception) : undefined;
    return { checkpoint: m.file, iteration: m.iteration, backend: report.backend, ...evaluateModel(m, { ...o, ...(net ? { inception: net } : {}) }) };
  } finally {
    net?.dispose();
    m.dispose();
  }
}

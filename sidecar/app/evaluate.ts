/** The eval use case (`ecvae eval`): sample-quality metrics of a checkpoint. */
import { selectBackend } from '../engine/core/backend.ts';
import { evaluate as evaluateModel, type EvalOptions, type EvalResult } from '../engine/eval/evaluate.ts';
import { loadTrained } from '../engine/store/trainedModel.ts';
import type { UseCase } from './context.ts';

export interface EvaluateParams extends EvalOptions {
  /** A checkpoint file or a run folder (its latest checkpoint). */
  checkpoint: string;
}

export interface EvaluateOutcome extends EvalResult {
  checkpoint: string;
  iteration: number;
  backend: string;
}

export async function evaluate({ checkpoint, ...o }: EvaluateParams, ctx: UseCase = {}): Promise<EvaluateOutcome> {
  const report = await selectBackend(ctx.backend ?? 'auto');
  const m = loadTrained(checkpoint);
  try {
    return { checkpoint: m.file, iteration: m.iteration, backend: report.backend, ...evaluateModel(m, o) };
  } finally {
    m.dispose();
  }
}

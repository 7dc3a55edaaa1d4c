/** The fit-prior use case, for the CLI (`ecvae fit-prior`) and the sidecar (`prior/fit`): a flow prior fitted post hoc on a finished run. */
import { selectBackend } from '../engine/core/backend.ts';
import { FIT_PRIOR_DEFAULTS, fitPrior as fit } from '../engine/jobs/fitPrior.ts';
import type { FitPriorParams, FitPriorResult } from '../protocol.ts';
import type { UseCase } from './context.ts';

export { FIT_PRIOR_DEFAULTS };

export async function fitPrior({ source, ...o }: FitPriorParams, ctx: UseCase = {}): Promise<FitPriorResult> {
  await selectBackend(ctx.backend ?? 'auto');
  return fit(source, {
    ...FIT_PRIOR_DEFAULTS,
    ...o,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.onLog ? { onLog: ctx.onLog } : {}),
  });
}

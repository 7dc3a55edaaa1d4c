/** The compare use case (`ecvae compare`): EC-VAE against a plain VAE (or any variants) from one config, trained and evaluated alike. */
import type { RunConfig } from '../engine/config/config.ts';
import { compare as compareVariants, isVariant, VARIANTS, type CompareOptions, type CompareReport, type Variant } from '../engine/eval/compare.ts';
import type { UseCase } from './context.ts';

export { isVariant, VARIANTS, type Variant };

export function compare(config: RunConfig, o: Omit<CompareOptions, 'events'>, ctx: UseCase = {}): Promise<CompareReport> {
  return compareVariants(config, { ...o, ...(ctx.onLog ? { events: { onLog: ctx.onLog } } : {}) });
}

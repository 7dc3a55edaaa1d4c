/**
 * The variants `compare` (and bench/calibration.ts) can train from one config, each the
 * config with what the variant changes. Pairs: an uncalibrated model and its calibrated
 * twin (docs/flows.md).
 * Plain data, free of TF.js (the CLI's help lists them).
 */
import type { RunConfig } from '../config/config.ts';

export const VARIANTS = {
  vae: { label: 'VAE', model: {}, calibration: { enabled: false } },
  ecvae: { label: 'EC-VAE', model: {}, calibration: { enabled: true } },
  'vae-flowprior': { label: 'VAE + flow prior', model: { prior: 'realnvp' }, calibration: { enabled: false } },
  'ecvae-flowprior': { label: 'EC-VAE + calibrated flow prior', model: { prior: 'realnvp' }, calibration: { enabled: true, latentPrior: true } },
  flow: { label: 'flow', model: { kind: 'flow' }, calibration: { enabled: false } },
  'calibrated-flow': { label: 'calibrated flow', model: { kind: 'flow' }, calibration: { enabled: true } },
} as const satisfies Record<string, { label: string; model: Partial<RunConfig['model']>; calibration: Partial<RunConfig['calibration']> }>;

export type Variant = keyof typeof VARIANTS;

export function isVariant(v: string): v is Variant {
  return Object.hasOwn(VARIANTS, v);
}

/** The config a variant trains: `config` with the variant's model and calibration changes, its own name. */
export function variantConfig(config: RunConfig, v: Variant): RunConfig {
  const d = VARIANTS[v];
  return { ...config, name: `${config.name}-${v}`, model: { ...config.model, ...d.model }, calibration: { ...config.calibration, ...d.calibration } };
}

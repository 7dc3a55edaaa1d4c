/**
 * Messages between the extension and the samples-panel webview, typed once for both
 * sides (media/samples.ts imports these types), and the pure pieces both need.
 */
import type { SampleOutcome } from '../../sidecar/protocol.ts';

export interface SamplesForm {
  n: number;
  seed: number;
  /** 0: one-step samples only; more: also the MCMC-refined ones, beside them. */
  mcmcSteps: number;
}

export interface SamplesSource {
  /** The run's name, for the title. */
  name: string;
  /** A run folder (its latest checkpoint) or a checkpoint file. */
  checkpoint: string;
}

/** Extension -> webview. */
export type ToSamplesPanel =
  | { type: 'init'; source: SamplesSource }
  | { type: 'samples'; outcome: SampleOutcome; form: SamplesForm }
  | { type: 'interpolation'; images: string[] }
  | { type: 'error'; message: string }
  | { type: 'saved'; file: string };

/** Webview -> extension. */
export type FromSamplesPanel =
  { type: 'ready' } | { type: 'generate'; form: SamplesForm } | { type: 'interpolate'; from: number[]; to: number[] } | { type: 'save'; form: SamplesForm };

/** What the webview persists with setState, so a reloaded window shows the same panel. */
export interface SamplesPanelState {
  source?: SamplesSource;
  form?: SamplesForm;
  outcome?: SampleOutcome;
  interpolation?: string[];
}

export const DEFAULT_SAMPLES_FORM: SamplesForm = { n: 16, seed: 0, mcmcSteps: 0 };

/** Points between a and b (both included), evenly spaced: the latents of an interpolation row. */
export function interpolate(a: readonly number[], b: readonly number[], points = 8): number[][] {
  if (a.length !== b.length) throw new Error(`Latents of different lengths (${a.length} and ${b.length}).`);
  return Array.from({ length: points }, (_, k) => {
    const t = points === 1 ? 0 : k / (points - 1);
    return a.map((v, i) => v + t * (b[i]! - v));
  });
}

/** The grid file Save writes for a form, in the run folder. */
export const gridFileName = (f: SamplesForm): string => `samples-seed${f.seed}-n${f.n}${f.mcmcSteps ? `-mcmc${f.mcmcSteps}` : ''}.png`;

/**
 * Messages between the extension and the restoration-panel webview, typed once for both
 * sides (media/restore.ts imports these types), and the pure pieces both need: the
 * panel's form, and the request the extension builds from it.
 */
import type { RestoreOutcome, RestoreParams, Task } from '../../sidecar/protocol.ts';
import type { MaskBits } from './maskFile.ts';

/** A checkpoint the panel offers: a run folder (its latest checkpoint) or one checkpoint file. */
export interface CheckpointChoice {
  label: string;
  path: string;
}

/** What the user set in the panel. */
export interface RestoreForm {
  checkpoint: string;
  task: Task;
  /** inpaint: which mask; "painted" is the brush's (saved beside the image as <image>.mask.png). */
  maskPreset: 'center' | 'half' | 'random' | 'painted';
  randomP: number;
  factor: number;
  sigma: number;
  steps: number;
  stepSize: number;
  energyWeight: number;
  seed: number;
  samples: number;
  /** Degrade this clean image first (the CLI's --from-clean): scores against it. */
  fromClean: boolean;
}

/** The image and its mask, as the panel shows them. */
export interface PanelImage {
  /** Absolute path. */
  path: string;
  /** webview URI of the image. */
  src: string;
  name: string;
}

/** Extension -> webview. */
export type ToRestorePanel =
  | { type: 'init'; image: PanelImage; checkpoints: CheckpointChoice[]; form?: Partial<RestoreForm>; mask?: MaskBits }
  | { type: 'progress'; step: number; steps: number; image: string }
  | { type: 'result'; outcome: RestoreOutcome }
  | { type: 'error'; message: string }
  | { type: 'saved'; file: string };

/** Webview -> extension. */
export type FromRestorePanel =
  | { type: 'ready' }
  | { type: 'restore'; form: RestoreForm; /** Inpainting: the mask shown (painted, or a preset as drawn). */ mask?: MaskBits }
  | { type: 'cancel' }
  | { type: 'save'; sample: number; saveAs: boolean };

/** What the webview persists with setState, so a reloaded window shows the same panel. */
export interface RestorePanelState {
  image?: PanelImage;
  form?: RestoreForm;
  mask?: MaskBits;
  outcome?: RestoreOutcome;
}

export const DEFAULT_FORM: Omit<RestoreForm, 'checkpoint'> = {
  task: 'inpaint',
  maskPreset: 'center',
  randomP: 0.5,
  factor: 4,
  sigma: 0.1,
  steps: 50,
  stepSize: 0.0002,
  energyWeight: 1,
  seed: 0,
  samples: 4,
  fromClean: false,
};

/** The sidecar request for a form; `maskFile` is where the extension wrote the mask for inpainting. */
export function restoreRequest(image: string, form: RestoreForm, maskFile?: string): RestoreParams {
  const task: RestoreParams = {
    checkpoint: form.checkpoint,
    image,
    task: form.task,
    steps: form.steps,
    stepSize: form.stepSize,
    energyWeight: form.energyWeight,
    seed: form.seed,
    samples: form.samples,
    previews: true,
    progressEvery: Math.max(1, Math.round(form.steps / 25)),
    ...(form.fromClean ? { fromClean: true } : {}),
  };
  if (form.task === 'inpaint') {
    if (!maskFile) throw new Error('Inpainting needs a mask: paint one or choose a preset.');
    return { ...task, mask: maskFile };
  }
  if (form.task === 'sr') return { ...task, factor: form.factor };
  if (form.task === 'denoise') return { ...task, sigma: form.sigma };
  return task;
}

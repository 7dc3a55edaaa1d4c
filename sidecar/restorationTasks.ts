/**
 * The restoration tasks as the CLI, the protocol, the extension and docs/restoration.md describe
 * them: one table, free of the engine and of vscode (protocol.ts re-exports it). Each
 * task's behaviour (A, A+, baselines) lives in engine/restore/degradations.ts under the
 * same name; that registry is typed by this table, so neither side can gain a task alone.
 */

/** The parameters a restoration task may take (the protocol schema gives their limits). */
export interface TaskParams {
  /** inpaint: "center" | "half" | "random:P" | a PNG path (white = known). */
  mask?: string;
  /** sr: 2, 4 or 8. */
  factor?: number;
  /** denoise: noise std in [0, 1] pixel units. */
  sigma?: number;
}

/** One task's description. */
export interface TaskInfo {
  title: string;
  /** One line for menus and help. */
  description: string;
  /** The degradation y = A x and its pseudo-inverse, for the docs. */
  operator: string;
  pinv: string;
  /** The image a user gives. */
  input: string;
  /** The defaults the engine applies to the task's parameters. */
  defaults: TaskParams;
  /** Restorations without the model, reported next to it. */
  baselines: readonly string[];
}

export const RESTORATION_TASKS = {
  inpaint: {
    title: 'Inpainting',
    description: 'fill missing pixels from the model',
    operator: 'pixel mask M (PNG: white = known; or `center`, `half`, `random:P`)',
    pinv: 'M',
    input: 'model size',
    // No default mask: which pixels are missing is a fact about the user's image, not a preference.
    defaults: {},
    baselines: ['pinv', 'meanFill'],
  },
  colorize: {
    title: 'Colorization',
    description: 'gray to colour (RGB models)',
    operator: 'per-pixel mean of RGB',
    pinv: 'gray copied to 3 channels',
    input: 'model size, gray (RGB models only)',
    defaults: {},
    baselines: ['pinv'],
  },
  sr: {
    title: 'Super-resolution',
    description: 'upsample a low-resolution image by 2, 4 or 8',
    operator: 'F×F average pooling (`--factor` 2, 4, 8)',
    pinv: 'F×F replication (the Moore–Penrose inverse)',
    input: 'the low-resolution image, model size / F',
    defaults: { factor: 4 },
    baselines: ['pinv', 'bicubic'],
  },
  denoise: {
    title: 'Denoising',
    description: 'remove Gaussian noise of a known sigma',
    operator: 'identity plus Gaussian noise (`--sigma` in [0, 1] pixel units)',
    pinv: 'identity',
    input: 'model size',
    defaults: { sigma: 0.1 },
    baselines: ['pinv'],
  },
} as const satisfies Record<string, TaskInfo>;

export type Task = keyof typeof RESTORATION_TASKS;
export const TASK_NAMES = Object.keys(RESTORATION_TASKS) as Task[];

/** The built-in inpainting masks (the CLI's `--mask center|half|random:P`). */
export type MaskPreset = 'center' | 'half' | 'random';

/**
 * A preset mask's bits, row-major w x h, 1 = known pixel: "center" misses the middle
 * half-by-half box, "half" the bottom half, "random" each pixel with probability `p`,
 * drawn from a mulberry32 stream seeded by `seed`. Both ends draw masks here, so the
 * restore panel previews exactly the mask the engine (restore/masks.ts) applies.
 */
export function presetMaskBits(preset: MaskPreset, w: number, h: number, random: { seed: number; p: number } = { seed: 0, p: 0.5 }): Uint8Array {
  const bits = new Uint8Array(w * h).fill(1);
  if (preset === 'center') {
    const top = Math.floor(h / 4),
      left = Math.floor(w / 4);
    for (let i = top; i < top + Math.floor(h / 2); i++) bits.fill(0, i * w + left, i * w + left + Math.floor(w / 2));
  } else if (preset === 'half') {
    bits.fill(0, Math.floor(h / 2) * w);
  } else {
    // mulberry32, as engine/core/rng.ts uniformStream (this table imports nothing, so it carries its own copy).
    let a = random.seed >>> 0;
    for (let i = 0; i < bits.length; i++) {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      if (((t ^ (t >>> 14)) >>> 0) / 4294967296 < random.p) bits[i] = 0;
    }
  }
  return bits;
}

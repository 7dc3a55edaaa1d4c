/**
 * Image sizes and stride-2 stages the model kinds are built for: plain numbers that the
 * config checks and the models both read, in a leaf so neither imports the other.
 */

/** The image size the paper's networks (model.kind "paper32", models/paper32.ts) are built for. */
export const PAPER32_SIZE = 32;

/** The image size each paper preset is built for (models/paper32.ts, paper64.ts, paper256.ts). */
export const PAPER_SIZES = { paper32: PAPER32_SIZE, paper64: 64, paper256: 256 } as const;
export type PaperKind = keyof typeof PAPER_SIZES;

export function isPaperKind(kind: string): kind is PaperKind {
  return Object.hasOwn(PAPER_SIZES, kind);
}

/** Stride-2 stages for an image size when the config does not say: the largest of 3, 2, 1 that divides it. */
export function autoLevels(size: number): number {
  return [3, 2, 1].find((l) => size % 2 ** l === 0) ?? 1;
}

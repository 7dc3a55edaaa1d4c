/**
 * Image sizes and stride-2 stages the model kinds are built for: plain numbers that the
 * config checks and the models both read, in a leaf so neither imports the other.
 */

/** The image size the paper's networks (model.kind "paper32", models/paper32.ts) are built for. */
export const PAPER32_SIZE = 32;

/** Stride-2 stages for an image size when the config does not say: the largest of 3, 2, 1 that divides it. */
export function autoLevels(size: number): number {
  return [3, 2, 1].find((l) => size % 2 ** l === 0) ?? 1;
}

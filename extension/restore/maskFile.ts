/**
 * Inpainting masks as files beside the image: <image>.mask.png, white = known pixel, black
 * = missing (the format `ecvae restore --mask` reads), so a painted mask is reused the next
 * time the image is opened, and by the CLI.
 */
import { existsSync, readFileSync } from 'node:fs';
import { PNG } from 'pngjs';

export const maskFileOf = (image: string): string => image.replace(/\.(png|jpe?g)$/i, '') + '.mask.png';

/** PNG bytes of a mask: bits row-major, 1 = known. */
export function encodeMask(bits: readonly number[], width: number, height: number): Buffer {
  if (bits.length !== width * height) throw new Error(`A ${width}x${height} mask needs ${width * height} values, got ${bits.length}.`);
  const png = new PNG({ width, height });
  bits.forEach((b, i) => png.data.set(b ? [255, 255, 255, 255] : [0, 0, 0, 255], i * 4));
  return PNG.sync.write(png);
}

/** A mask as the panel holds it. */
export interface MaskBits {
  width: number;
  height: number;
  /** Row-major, 1 = known, 0 = missing. */
  bits: number[];
}

/** The mask saved beside `image`, if any (the panel uses it when its size is the image's). */
export function readMask(image: string): MaskBits | undefined {
  const file = maskFileOf(image);
  if (!existsSync(file)) return undefined;
  try {
    const png = PNG.sync.read(readFileSync(file));
    return { width: png.width, height: png.height, bits: Array.from({ length: png.width * png.height }, (_, i) => (png.data[i * 4]! > 127 ? 1 : 0)) };
  } catch {
    return undefined; // not a PNG we can read: the panel starts from a preset
  }
}

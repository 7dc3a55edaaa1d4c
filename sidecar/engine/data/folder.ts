/** Image folders: PNG/JPEG found recursively, centre-cropped square, resized with TF.js ops. */
import { readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import * as tf from '../core/tf.ts';
import type { Dataset } from './dataset.ts';
import { resizeImages, type ResizeMethod } from './resize.ts';
import { ImageError, readImage, toFloat, type RgbaImage } from './images.ts';
import { UserError } from '../../runLayout/errors.ts';

const EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

export function listImages(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (EXTENSIONS.has(extname(e.name).toLowerCase())) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Centre-crops to a square and resizes to size x size; returns HWC floats in [-1, 1]. */
export function fitImage(img: RgbaImage, size: number, channels: 1 | 3, resize: ResizeMethod = 'area'): Float32Array {
  const px = toFloat(img, channels);
  if (img.width === size && img.height === size) return px;
  return tf.tidy(() => {
    const t = tf.tensor3d(px, [img.height, img.width, channels]);
    const side = Math.min(img.width, img.height);
    const top = Math.floor((img.height - side) / 2);
    const left = Math.floor((img.width - side) / 2);
    const sq = t.slice([top, left, 0], [side, side, channels]);
    return resizeImages(sq, size, resize).dataSync() as Float32Array;
  });
}

export function loadFolder(dir: string, size: number, channels: 1 | 3, onBad: 'error' | 'skip', resize: ResizeMethod = 'area'): Dataset {
  const files = listImages(dir);
  if (!files.length) throw new UserError('data', `No PNG or JPEG images found under ${dir} (searched recursively for .png, .jpg, .jpeg).`, dir);
  const per = size * size * channels;
  const x = new Float32Array(files.length * per);
  const warnings: string[] = [];
  let n = 0;
  for (const f of files) {
    try {
      x.set(fitImage(readImage(f), size, channels, resize), n * per);
      n++;
    } catch (err) {
      if (!(err instanceof ImageError) || onBad === 'error') {
        throw new UserError('data', `${(err as Error).message}. Fix or remove the file, or set "data.onBadImage": "skip" to train without it.`, f);
      }
      warnings.push(`skipped ${(err as Error).message}`);
    }
  }
  if (!n) throw new UserError('data', `None of the ${files.length} image files under ${dir} could be read.`, dir);
  return { name: `folder ${dir} (${n} images ${size}x${size}x${channels})`, shape: [size, size, channels], size: n, x: x.subarray(0, n * per), warnings };
}

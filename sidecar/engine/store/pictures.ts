/**
 * Pictures of samples and their files: image grids, scatter plots of 2-D points over the
 * data, and the one way a picture is written (encoded by the file name's extension, PNG
 * or JPEG, and replaced atomically so a reader never sees half a file).
 */
import { writeFileAtomic } from './atomic.ts';
import { encodeImageFor } from '../data/images.ts';
import type * as tf from '../core/tf.ts';

export interface RgbPicture {
  width: number;
  height: number;
  /** RGB bytes, row-major. */
  rgb: Uint8Array;
}

/** Tiles images [n, H, W, C] in [-1, 1] into a grid (near-square unless `cols` is given) with 2-pixel gutters. */
export function imageGrid(x: Float32Array, n: number, shape: number[], cols = Math.ceil(Math.sqrt(n))): RgbPicture {
  const [h, w, c] = shape as [number, number, number];
  const rows = Math.ceil(n / cols);
  const gap = 2;
  const width = cols * (w + gap) + gap;
  const height = rows * (h + gap) + gap;
  const rgb = new Uint8Array(width * height * 3).fill(32);
  for (let k = 0; k < n; k++) {
    const ox = gap + (k % cols) * (w + gap);
    const oy = gap + Math.floor(k / cols) * (h + gap);
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        for (let ch = 0; ch < 3; ch++) {
          const v = x[((k * h + i) * w + j) * c + (c === 1 ? 0 : ch)]!;
          rgb[((oy + i) * width + ox + j) * 3 + ch] = Math.round(Math.min(Math.max((v + 1) / 2, 0), 1) * 255);
        }
      }
    }
  }
  return { width, height, rgb };
}

/** Scatter plot of 2-D points in [-1, 1]^2: reference points grey, samples orange. */
export function scatterPlot(samples: Float32Array, reference?: Float32Array, size = 320): RgbPicture {
  const rgb = new Uint8Array(size * size * 3).fill(255);
  const dot = (pts: Float32Array, color: [number, number, number]): void => {
    for (let i = 0; i + 1 < pts.length; i += 2) {
      const px = Math.round(((pts[i]! + 1) / 2) * (size - 1));
      const py = Math.round(((1 - pts[i + 1]!) / 2) * (size - 1));
      for (let dy = 0; dy <= 1; dy++) {
        for (let dx = 0; dx <= 1; dx++) {
          const x = px + dx,
            y = py + dy;
          if (x < 0 || y < 0 || x >= size || y >= size) continue;
          rgb.set(color, (y * size + x) * 3);
        }
      }
    }
  };
  if (reference) dot(reference, [190, 190, 190]);
  dot(samples, [230, 110, 20]);
  return { width: size, height: size, rgb };
}

/** A picture of samples: a grid for images, a scatter plot (with data) for 2-D points. */
export function samplesPicture(samples: Float32Array, n: number, shape: number[], reference?: Float32Array): RgbPicture {
  return shape.length === 3 ? imageGrid(samples, n, shape) : scatterPlot(samples, reference);
}

/** Writes a picture to `file` atomically, as PNG or JPEG by its extension. */
export function writePicture(file: string, pic: RgbPicture): void {
  writeFileAtomic(file, [encodeImageFor(file, pic.rgb, pic.width, pic.height, 3, false)]);
}

/** Writes one image [H, W, C] in [-1, 1] to `file` atomically, as PNG or JPEG by its extension. */
export function writeImage(file: string, pixels: Float32Array, width: number, height: number, channels: number): void {
  writeFileAtomic(file, [encodeImageFor(file, pixels, width, height, channels)]);
}

/** Writes samples [n, ...dataShape] as their picture (2-D points over `reference` when given). */
export function writeSamples(file: string, dataShape: readonly number[], x: tf.Tensor, reference?: Float32Array): void {
  writePicture(file, samplesPicture(x.dataSync() as Float32Array, x.shape[0]!, dataShape as number[], reference));
}

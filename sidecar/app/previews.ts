/**
 * Pictures for webviews: PNG data: URLs of samples, restorations and their running
 * estimates. Made here, at the use-case layer, so that the engine deals in tensors and
 * files and never in a webview's formats.
 */
import { encodePng } from '../engine/data/images.ts';
import { imageGrid, type RgbPicture } from '../engine/store/pictures.ts';
import type * as tf from '../engine/core/tf.ts';

/** A picture as a PNG data: URL, for webviews. */
export function pictureDataUrl(pic: RgbPicture): string {
  return `data:image/png;base64,${encodePng(pic.rgb, pic.width, pic.height, 3, false).toString('base64')}`;
}

/** A batch of images [n, H, W, C] in [-1, 1] as one PNG strip (n columns), as a data: URL. */
export function stripDataUrl(x: tf.Tensor4D): string {
  const [n, h, w, c] = x.shape;
  return pictureDataUrl(imageGrid(x.dataSync() as Float32Array, n, [h, w, c], n));
}

/** Each image of [n, H, W, C] in [-1, 1], exactly (no gutter, its own channels), as a PNG data: URL. */
export function imageDataUrls(x: tf.Tensor4D): string[] {
  const [n, h, w, c] = x.shape;
  const data = x.dataSync() as Float32Array;
  const per = h * w * c;
  return Array.from({ length: n }, (_, i) => `data:image/png;base64,${encodePng(data.subarray(i * per, (i + 1) * per), w, h, c).toString('base64')}`);
}

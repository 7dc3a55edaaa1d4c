/**
 * Image file I/O with maintained codecs (pngjs, jpeg-js). Everything in the engine uses
 * float images in [-1, 1]; conversion happens here, at the boundary.
 */
import { extname } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { UserError } from '../../runLayout/errors.ts';
import { FileReadError, READ_LIMITS, readGuarded } from '../../runLayout/guardedRead.ts';
import { applyOrientation, jpegOrientation, pngInflateProblem, type RgbaImage } from './imageChecks.ts';

export type { RgbaImage };

export class ImageError extends UserError {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super('image', `Cannot read image ${file}: ${reason}`, file);
  }
}

/**
 * The largest image decoded: 16.8 megapixels (4096 x 4096). Decoding takes 4 bytes per
 * pixel and the float copy 12 more, so this bounds one image at ~270 MB; a small file can
 * declare 20000 x 20000 (a 389 KB PNG did) and would need 6.4 GB.
 */
export const MAX_PIXELS = 4096 * 4096;

/**
 * Width and height from the header alone (PNG IHDR; JPEG SOFn marker), so that a huge
 * image is refused before anything is decoded. Undefined when the header does not say.
 */
export function imageDimensions(buf: Buffer): { width: number; height: number } | undefined {
  if (buf.length >= 24 && buf.readUInt32BE(0) === 0x89504e47 && buf.toString('latin1', 12, 16) === 'IHDR') {
    return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
  }
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 4 <= buf.length) {
    if (buf[i] !== 0xff) return undefined;
    const marker = buf[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    } // fill byte
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    } // no length
    const length = buf.readUInt16BE(i + 2);
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC): precision, height, width.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return i + 9 <= buf.length ? { width: buf.readUInt16BE(i + 7), height: buf.readUInt16BE(i + 5) } : undefined;
    }
    i += 2 + length;
  }
  return undefined;
}

/** jpeg-js's memory bound for one decode. */
export const JPEG_MEMORY_MB = 400;

export function decodeImage(buf: Buffer, file: string): RgbaImage {
  const isPng = buf.length >= 8 && buf.readUInt32BE(0) === 0x89504e47;
  const isJpeg = buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff;
  const dims = isPng || isJpeg ? imageDimensions(buf) : undefined;
  if (dims && dims.width * dims.height > MAX_PIXELS) {
    throw new ImageError(
      file,
      `${dims.width}x${dims.height} pixels (${((dims.width * dims.height) / 1e6).toFixed(1)} MP) is over the limit of ${(MAX_PIXELS / 1e6).toFixed(1)} MP; downscale it first`,
    );
  }
  const bomb = isPng ? pngInflateProblem(buf) : undefined;
  if (bomb) throw new ImageError(file, bomb);
  try {
    if (isPng) {
      const png = PNG.sync.read(buf);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
    }
    if (isJpeg) {
      // The decoder's own bounds: the pixel limit per frame, and its working memory (the image
      // at the limit, 4096 x 4096, takes ~360 MB: coefficients, components and the RGBA output).
      const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: JPEG_MEMORY_MB, maxResolutionInMP: MAX_PIXELS / 1e6 });
      return applyOrientation({ width: img.width, height: img.height, data: img.data }, jpegOrientation(buf));
    }
  } catch (err) {
    throw new ImageError(file, `corrupt or unsupported ${isPng ? 'PNG' : 'JPEG'} data (${(err as Error).message})`);
  }
  throw new ImageError(file, buf.length === 0 ? 'the file is empty' : 'not a PNG or JPEG file');
}

/**
 * Reads and decodes an image file: regular files only, non-blocking and bounded
 * (runLayout/guardedRead.ts), so a FIFO, a device or a folder (or a link to one) is refused
 * at once instead of blocking or reading forever.
 */
export function readImage(file: string): RgbaImage {
  let buf: Buffer;
  try {
    buf = readGuarded(file, { what: 'image', kind: 'image', maxBytes: READ_LIMITS.image });
  } catch (err) {
    if (err instanceof FileReadError) throw new ImageError(file, err.message.replace(/^Cannot read image [^:]*: /, '').replace(/\.$/, ''));
    throw err;
  }
  return decodeImage(buf, file);
}

/** True when every pixel has R = G = B. */
export function isGrayImage(img: RgbaImage): boolean {
  for (let i = 0; i < img.width * img.height; i++) {
    if (img.data[4 * i] !== img.data[4 * i + 1] || img.data[4 * i] !== img.data[4 * i + 2]) return false;
  }
  return true;
}

/** RGBA bytes -> float [-1, 1] HWC with 1 (luma) or 3 channels. */
export function toFloat(img: RgbaImage, channels: 1 | 3): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n * channels);
  for (let i = 0; i < n; i++) {
    const r = img.data[4 * i]!,
      g = img.data[4 * i + 1]!,
      b = img.data[4 * i + 2]!;
    if (channels === 1) out[i] = ((0.299 * r + 0.587 * g + 0.114 * b) / 255) * 2 - 1;
    else for (let c = 0; c < 3; c++) out[3 * i + c] = (img.data[4 * i + c]! / 255) * 2 - 1;
  }
  return out;
}

/** Float [-1, 1] HWC (1 or 3 channels), or byte values with isFloat false -> opaque RGBA bytes. */
function toRgba(pixels: Float32Array | Uint8Array, width: number, height: number, channels: number, isFloat: boolean): Buffer {
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) {
      const v = pixels[i * channels + (channels === 1 ? 0 : c)]!;
      rgba[4 * i + c] = isFloat ? Math.round(Math.min(Math.max((v + 1) / 2, 0), 1) * 255) : v;
    }
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}

/** Float [-1, 1] HWC (1 or 3 channels) -> PNG bytes. */
export function encodePng(pixels: Float32Array | Uint8Array, width: number, height: number, channels: number, isFloat = true): Buffer {
  const png = new PNG({ width, height });
  toRgba(pixels, width, height, channels, isFloat).copy(png.data);
  return PNG.sync.write(png);
}

export type ImageFormat = 'png' | 'jpeg';

/** The format an output file's name asks for; undefined for anything but .png, .jpg, .jpeg. */
export function outputFormat(file: string): ImageFormat | undefined {
  const ext = extname(file).toLowerCase();
  return ext === '.png' ? 'png' : ext === '.jpg' || ext === '.jpeg' ? 'jpeg' : undefined;
}

/** Float [-1, 1] HWC (or RGB bytes with isFloat false) encoded as the file name asks: PNG, or JPEG at quality 95. */
export function encodeImageFor(file: string, pixels: Float32Array | Uint8Array, width: number, height: number, channels: number, isFloat = true): Buffer {
  if (outputFormat(file) !== 'jpeg') return encodePng(pixels, width, height, channels, isFloat);
  return Buffer.from(jpeg.encode({ data: toRgba(pixels, width, height, channels, isFloat), width, height }, 95).data);
}

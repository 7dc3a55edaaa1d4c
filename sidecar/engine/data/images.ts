/**
 * Image file I/O with maintained codecs (pngjs, jpeg-js). Everything in the engine uses
 * float images in [-1, 1]; conversion happens here, at the boundary.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export class ImageError extends Error {
  constructor(readonly file: string, reason: string) {
    super(`Cannot read image ${file}: ${reason}`);
    this.name = 'ImageError';
  }
}

/** Decoded image: RGBA bytes, row-major. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

const MAX_PIXELS = 64 * 1024 * 1024;

export function decodeImage(buf: Buffer, file: string): RgbaImage {
  const isPng = buf.length >= 8 && buf.readUInt32BE(0) === 0x89504e47;
  const isJpeg = buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff;
  try {
    if (isPng) {
      const png = PNG.sync.read(buf);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
    }
    if (isJpeg) {
      const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024, maxResolutionInMP: MAX_PIXELS / 1e6 });
      return { width: img.width, height: img.height, data: img.data };
    }
  } catch (err) {
    throw new ImageError(file, `corrupt or unsupported ${isPng ? 'PNG' : 'JPEG'} data (${(err as Error).message})`);
  }
  throw new ImageError(file, buf.length === 0 ? 'the file is empty' : 'not a PNG or JPEG file');
}

export function readImage(file: string): RgbaImage {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ImageError(file, e.code === 'ENOENT' ? 'file not found' : e.code === 'EISDIR' ? 'it is a folder' : e.message);
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
    const r = img.data[4 * i]!, g = img.data[4 * i + 1]!, b = img.data[4 * i + 2]!;
    if (channels === 1) out[i] = ((0.299 * r + 0.587 * g + 0.114 * b) / 255) * 2 - 1;
    else for (let c = 0; c < 3; c++) out[3 * i + c] = (img.data[4 * i + c]! / 255) * 2 - 1;
  }
  return out;
}

/** Float [-1, 1] HWC (1 or 3 channels) -> PNG bytes. */
export function encodePng(pixels: Float32Array | Uint8Array, width: number, height: number, channels: number, isFloat = true): Buffer {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) {
      const v = pixels[i * channels + (channels === 1 ? 0 : c)]!;
      png.data[4 * i + c] = isFloat ? Math.round(Math.min(Math.max((v + 1) / 2, 0), 1) * 255) : v;
    }
    png.data[4 * i + 3] = 255;
  }
  return PNG.sync.write(png);
}

export function writePng(file: string, pixels: Float32Array | Uint8Array, width: number, height: number, channels: number, isFloat = true): void {
  writeFileSync(file, encodePng(pixels, width, height, channels, isFloat));
}

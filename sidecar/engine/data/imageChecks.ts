/**
 * What a decoder would not check for us, read from the compressed bytes before decoding:
 *  - an interlaced PNG's image data inflated without a bound (pngjs bounds only
 *    non-interlaced images by the header's size), so a small file declaring 1x1 pixels
 *    could inflate to gigabytes: inflated here first with the bound its header implies;
 *  - a JPEG's EXIF orientation (cameras store portraits sideways and say so in EXIF),
 *    which jpeg-js ignores: read here and applied after decoding, so a portrait is
 *    restored and trained on upright, as every image viewer shows it.
 */
import { inflateSync } from 'node:zlib';

/** Decoded image: RGBA bytes, row-major. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Why a PNG's compressed data cannot be what its header says (undefined when it can, or for a non-interlaced PNG, which pngjs bounds itself). */
export function pngInflateProblem(buf: Buffer): string | undefined {
  let i = 8;
  let bound = 0;
  let interlaced = false;
  const idat: Buffer[] = [];
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i);
    const type = buf.toString('latin1', i + 4, i + 8);
    const data = buf.subarray(i + 8, Math.min(i + 8 + len, buf.length));
    if (type === 'IHDR' && data.length >= 13) {
      const [w, h, depth, colour] = [data.readUInt32BE(0), data.readUInt32BE(4), data[8]!, data[9]!];
      interlaced = data[12] === 1;
      // Pixel bytes, plus a filter byte per row of each of the 7 passes (at most 15/8 of the rows, plus 7).
      bound = Math.ceil((w * h * (CHANNELS[colour] ?? 4) * depth) / 8) + 2 * (2 * h + 7) + 64;
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    i += 12 + len;
  }
  if (!interlaced || !idat.length) return undefined;
  try {
    inflateSync(Buffer.concat(idat), { maxOutputLength: bound });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      return `its compressed pixel data inflates past the ${bound} bytes its header declares (a decompression bomb, or a damaged file)`;
    return undefined; // corrupt data: the decoder says what is wrong
  }
  return undefined;
}

/** The EXIF orientation (1-8) of a JPEG, 1 when it has none. */
export function jpegOrientation(buf: Buffer): number {
  let i = 2;
  while (i + 4 <= buf.length && buf[i] === 0xff) {
    const marker = buf[i + 1]!;
    if (marker === 0xda || marker === 0xd9) break; // image data starts: no EXIF after it
    const len = buf.readUInt16BE(i + 2);
    if (marker === 0xe1 && buf.toString('latin1', i + 4, i + 10) === 'Exif\0\0') return tiffOrientation(buf.subarray(i + 10, i + 2 + len));
    i += 2 + len;
  }
  return 1;
}

function tiffOrientation(t: Buffer): number {
  if (t.length < 8) return 1;
  const le = t.toString('latin1', 0, 2) === 'II';
  const u16 = (o: number): number => (o + 2 <= t.length ? (le ? t.readUInt16LE(o) : t.readUInt16BE(o)) : 0);
  const u32 = (o: number): number => (o + 4 <= t.length ? (le ? t.readUInt32LE(o) : t.readUInt32BE(o)) : 0);
  const ifd = u32(4);
  const n = u16(ifd);
  for (let k = 0; k < n; k++) {
    const e = ifd + 2 + 12 * k;
    if (e + 12 > t.length) break;
    if (u16(e) === 0x0112) {
      const v = u16(e + 8);
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

/** The image as it is meant to be seen under EXIF orientation `o` (1: as stored; 5-8 swap width and height). */
export function applyOrientation(img: RgbaImage, o: number): RgbaImage {
  if (o <= 1 || o > 8) return img;
  const { width: W, height: H } = img;
  const swap = o >= 5;
  const w = swap ? H : W,
    h = swap ? W : H;
  const out = new Uint8Array(w * h * 4);
  // For each displayed pixel (x, y), the stored pixel it shows.
  type Map = (x: number, y: number) => [number, number];
  const maps: Map[] = [
    (x, y) => [x, y],
    (x, y) => [x, y],
    (x, y) => [W - 1 - x, y],
    (x, y) => [W - 1 - x, H - 1 - y],
    (x, y) => [x, H - 1 - y],
    (x, y) => [y, x],
    (x, y) => [y, H - 1 - x],
    (x, y) => [W - 1 - y, H - 1 - x],
    (x, y) => [W - 1 - y, x],
  ];
  const src = maps[o]!;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [sx, sy] = src(x, y);
      const s = 4 * (sy * W + sx);
      out.set(img.data.subarray(s, s + 4), 4 * (y * w + x));
    }
  return { width: w, height: h, data: out };
}

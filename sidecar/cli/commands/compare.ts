/** `ecvae compare`: EC-VAE against a plain VAE from one config, with a report and pictures. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compare } from '../../engine/eval/compare.ts';
import { configFromArgs, emit, intFlag, type Flags, type Out } from '../args.ts';

export const usage = `ecvae compare <config.ecvae.json> [--out DIR] [--iterations N] [--n 1000] [--mcmc-steps K] [--json]`;

export async function run(pos: string[], f: Flags, out: Out): Promise<number> {
  const config = configFromArgs('compare', pos, f);
  const iterations = intFlag(f.iterations as string | undefined, 'iterations', 1);
  const outDir = (f.out as string | undefined) ?? join(config.output.dir, `${config.name}-compare`);
  const report = await compare(config, {
    outDir,
    n: intFlag(f.n as string | undefined, 'n', 10) ?? 1000,
    mcmcSteps: intFlag(f['mcmc-steps'] as string | undefined, 'mcmc-steps', 0) ?? config.calibration.sgldSteps,
    ...(iterations ? { iterations } : {}),
    events: { onLog: (m) => process.stderr.write(m + '\n') },
  });
  emit(out, { ok: true, outDir, ...report }, `wrote ${join(outDir, 'report.md')}\n\n${readFileSync(join(outDir, 'report.md'), 'utf8')}`);
  return 0;
}

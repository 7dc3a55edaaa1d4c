/** `ecvae compare`: EC-VAE against a plain VAE (or any VARIANTS) from one config, with a report and pictures. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compare, isVariant, VARIANTS, type Variant } from '../../engine/eval/compare.ts';
import { configFromArgs, emit, intFlag, UsageError, type Flags, type Out } from '../args.ts';

export const usage = `ecvae compare <config.ecvae.json> [--out DIR] [--iterations N] [--n 1000] [--mcmc-steps K]
        [--variants ${Object.keys(VARIANTS).join(',')}] [--json]`;

/** --variants: a comma-separated list of VARIANTS names; default vae,ecvae. */
function variantsFlag(v: string | undefined): Variant[] | undefined {
  if (v === undefined) return undefined;
  const names = v.split(',').map((x) => x.trim());
  const bad = names.filter((x) => !isVariant(x));
  if (bad.length || names.length === 0) throw new UsageError(`--variants takes names from ${Object.keys(VARIANTS).join(', ')} (got "${bad.join(', ') || v}").`);
  return [...new Set(names)] as Variant[];
}

export async function run(pos: string[], f: Flags, out: Out): Promise<number> {
  const config = configFromArgs('compare', pos, f);
  const iterations = intFlag(f.iterations as string | undefined, 'iterations', 1);
  const variants = variantsFlag(f.variants as string | undefined);
  const outDir = (f.out as string | undefined) ?? join(config.output.dir, `${config.name}-compare`);
  const report = await compare(config, {
    outDir,
    n: intFlag(f.n as string | undefined, 'n', 10) ?? 1000,
    mcmcSteps: intFlag(f['mcmc-steps'] as string | undefined, 'mcmc-steps', 0) ?? config.calibration.sgldSteps,
    ...(iterations ? { iterations } : {}),
    ...(variants ? { variants } : {}),
    events: { onLog: (m) => process.stderr.write(m + '\n') },
  });
  emit(out, { ok: true, outDir, ...report }, `wrote ${join(outDir, 'report.md')}\n\n${readFileSync(join(outDir, 'report.md'), 'utf8')}`);
  return 0;
}

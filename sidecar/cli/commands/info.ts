/** `ecvae info`: which backend runs, and why the others do not. */
import { describeBackend, selectBackend } from '../../engine/backend.ts';
import { backendFlag, emit, type Flags, type Out } from '../args.ts';

export const usage = `ecvae info [--backend B] [--json]`;

export async function run(_pos: string[], f: Flags, out: Out): Promise<number> {
  const report = await selectBackend(backendFlag(f.backend as string | undefined) ?? 'auto');
  emit(out, { ok: true, ...report, node: process.version, platform: `${process.platform}-${process.arch}` }, describeBackend(report));
  return 0;
}

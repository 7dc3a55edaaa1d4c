/**
 * Locations of files shipped with the package. Works both from the TypeScript sources
 * (tests) and from the esbuild bundle in dist/, by walking up to the package root.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'schemas', 'ecvae-run.schema.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('EC-VAE Studio: cannot find the package root (schemas/ecvae-run.schema.json).');
    dir = up;
  }
  root = dir;
  return dir;
}

export const schemaPath = (): string => join(packageRoot(), 'schemas', 'ecvae-run.schema.json');
export const protocolSchemaPath = (): string => join(packageRoot(), 'schemas', 'ecvae-protocol.schema.json');

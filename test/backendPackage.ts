/**
 * A small local package that stands in for an optional native backend: it registers the
 * CPU backend's kernels under the name of the backend it replaces ("tensorflow", as
 * @tensorflow/tfjs-node does), so a sidecar that resolves it from a backends folder
 * really selects and computes with it. Used to test the resolution of optional backends
 * from the extension's global storage (engine core/backend.ts, ECVAE_BACKEND_PATHS).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** Writes `<folder>/node_modules/<name>/` (a CommonJS package) and returns `folder`. */
export function writeTestBackendPackage(folder: string, repoRoot: string, name = '@tensorflow/tfjs-node', backendName = 'tensorflow'): string {
  const dir = join(folder, 'node_modules', ...name.split('/'));
  mkdirSync(dir, { recursive: true });
  const require = createRequire(join(repoRoot, 'package.json'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '0.0.0-test', main: 'index.js' }, null, 2));
  writeFileSync(
    join(dir, 'index.js'),
    [
      `const tf = require(${JSON.stringify(require.resolve('@tensorflow/tfjs-core'))});`,
      `const cpu = require(${JSON.stringify(require.resolve('@tensorflow/tfjs-backend-cpu'))});`,
      `tf.registerBackend(${JSON.stringify(backendName)}, () => new cpu.MathBackendCPU(), 0);`,
      `for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: ${JSON.stringify(backendName)} });`,
      `module.exports = { testBackend: true };`,
      '',
    ].join('\n'),
  );
  return folder;
}

// Bundles the TypeScript entry points with esbuild into dist/. npm packages stay external
// (resolved from node_modules at run time): TF.js backends find their .wasm files and
// optional native bindings relative to their own packages.
import { readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);

const entries = {
  sidecar: 'sidecar/server/main.ts',
  'language-server': 'sidecar/language/main.ts',
  'pool-worker': 'sidecar/engine/parallel/worker.ts',
  'train-worker': 'sidecar/engine/jobs/trainWorker.ts',
};

await build({
  entryPoints: entries,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
// Old CLI chunks first: their names carry content hashes, so a rebuild would leave them behind.
for (const f of readdirSync('dist', { withFileTypes: true })) if (f.isFile() && /^cli-.*\.js(\.map)?$/.test(f.name)) rmSync(`dist/${f.name}`);
// The CLI, split: each command's run.ts (the engine, TF.js) is its own chunk, imported only
// after the command's flags parsed, so usage errors, --help and --version load no backend.
await build({
  entryPoints: { cli: 'sidecar/cli/main.ts' },
  outdir: 'dist',
  // Chunks sit beside pool-worker.js, which the engine finds relative to its own module.
  chunkNames: 'cli-[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
// The VS Code extension: CommonJS (as VS Code loads it), `vscode` provided by the host.
await build({
  entryPoints: { extension: 'extension/extension.ts' },
  // jsonc-parser's main build is UMD with run-time require() of its own files, which a bundle lacks: its ES build.
  alias: { 'jsonc-parser': join(dirname(require.resolve('jsonc-parser/package.json')), 'lib', 'esm', 'main.js') },
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  sourcemap: true,
  logLevel: 'warning',
});

// The webview script: a browser bundle (uPlot included), its CSS next to it.
await build({
  entryPoints: { dashboard: 'media/dashboard.ts', restore: 'media/restore.ts', samples: 'media/samples.ts', runsTable: 'media/runsTable.ts' },
  outdir: 'dist/media',
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2020',
  minify: true,
  sourcemap: false,
  logLevel: 'warning',
});
console.error(
  `built dist/cli.js (+ dist/cli-*.js chunks), ${Object.keys(entries)
    .map((e) => `dist/${e}.js`)
    .join(', ')}, dist/extension.cjs, dist/media/{dashboard,restore,samples,runsTable}.{js,css}`,
);

// Bundles the TypeScript entry points with esbuild into dist/. npm packages stay external
// (resolved from node_modules at run time): TF.js backends find their .wasm files and
// optional native bindings relative to their own packages.
import { build } from 'esbuild';

const entries = {
  cli: 'sidecar/cli/main.ts',
  sidecar: 'sidecar/server/main.ts',
  'pool-worker': 'sidecar/engine/parallel/worker.ts',
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
// The VS Code extension: CommonJS (as VS Code loads it), `vscode` provided by the host.
await build({
  entryPoints: { extension: 'extension/extension.ts' },
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
  entryPoints: { dashboard: 'media/dashboard.ts', restore: 'media/restore.ts', samples: 'media/samples.ts' },
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
  `built ${Object.keys(entries)
    .map((e) => `dist/${e}.js`)
    .join(', ')}, dist/extension.cjs, dist/media/{dashboard,restore,samples}.{js,css}`,
);

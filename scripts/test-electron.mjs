/**
 * `npm run test:electron`: the extension-host suite (test/electron/) through
 * @vscode/test-electron's runTests, whose result is the exit code.
 *
 * Which VS Code runs it:
 *  - default (here and in CI, offline): code-server's VS Code (workbench and Node extension
 *    host) through scripts/vscode-test-host.mjs, which speaks runTests' launch contract;
 *    not Electron, and `vscode.env.uiKind` is Web there;
 *  - VSCODE_EXECUTABLE=/path/to/code: that VS Code desktop;
 *  - VSCODE_DOWNLOAD=1: VS Code desktop downloaded by runTests (needs the network).
 *
 * It bundles the suite (esbuild, `vscode` and mocha left to the host and node_modules)
 * and makes the workspace it opens, a two-folder (multi-root) workspace: the first folder
 * has configs for a toy run, a long run, a tiny MNIST run, an invalid config, and a 28x28
 * image; the second folder one more toy config.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';
import { build } from 'esbuild';
import { PNG } from 'pngjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = join(root, '.tmp', 'test-electron', 'index.cjs');
await build({
  entryPoints: [join(root, 'test', 'electron', 'index.ts')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode', 'mocha'],
  logLevel: 'warning',
});

// `--prepare DIR`: only bundle the suite and make the workspace in DIR (the "Extension
// Tests" launch configuration of .vscode/launch.json runs them in a VS Code desktop).
const prepareAt = process.argv.indexOf('--prepare') >= 0 ? process.argv[process.argv.indexOf('--prepare') + 1] : undefined;
const ws = prepareAt ?? mkdtempSync(join(tmpdir(), 'ecvae-electron-ws-'));
const ws2 = `${ws}-second`;
mkdirSync(ws, { recursive: true });
mkdirSync(ws2, { recursive: true });
const config = (name, body, dir = ws) => writeFileSync(join(dir, `${name}.ecvae.json`), JSON.stringify({ name, ...body }, null, 2) + '\n');
const toyModel = { model: { hidden: 16, depth: 2, latentDim: 2 }, calibration: { sgldSteps: 2 } };
config('toy', {
  data: { kind: 'gaussians25', count: 500 },
  ...toyModel,
  training: { iterations: 60, batchSize: 32 },
  logging: { every: 5, sampleEvery: 60, checkpointEvery: 30 },
});
config('long', {
  data: { kind: 'gaussians25', count: 500 },
  ...toyModel,
  training: { iterations: 100000, batchSize: 32 },
  logging: { every: 5, sampleEvery: 100000, checkpointEvery: 1000 },
});
config('digits', {
  data: { kind: 'mnist', limit: 128 },
  model: { kind: 'conv', width: 4, latentDim: 4, ebmHidden: 16 },
  training: { iterations: 10, batchSize: 16 },
  calibration: { sgldSteps: 2 },
  logging: { every: 5, sampleEvery: 10, checkpointEvery: 10 },
});
writeFileSync(join(ws, 'bad.ecvae.json'), '{\n  "data": { "kind": "mnist" },\n  "training": { "batchSize": 0 }\n}\n');
const digit = new PNG({ width: 28, height: 28 });
for (let i = 0; i < 28 * 28; i++) digit.data.set(i % 28 > 9 && i % 28 < 18 ? [230, 230, 230, 255] : [25, 25, 25, 255], i * 4);
writeFileSync(join(ws, 'digit.png'), PNG.sync.write(digit));
config(
  'second',
  {
    data: { kind: 'gaussians25', count: 500 },
    ...toyModel,
    training: { iterations: 20, batchSize: 32 },
    logging: { every: 5, sampleEvery: 20, checkpointEvery: 20 },
  },
  ws2,
);
mkdirSync(join(ws, '.vscode'), { recursive: true });
// The workspace the suite opens: both folders (a multi-root workspace).
const workspaceFile = join(ws, 'ecvae-test.code-workspace');
writeFileSync(workspaceFile, JSON.stringify({ folders: [{ path: '.' }, { path: ws2 }] }, null, 2) + '\n');
if (prepareAt) process.exit(0);

const executable = process.env.VSCODE_EXECUTABLE ?? (process.env.VSCODE_DOWNLOAD === '1' ? undefined : join(root, 'scripts', 'vscode-test-host.mjs'));
process.stderr.write(
  `extension-host tests in ${executable === undefined ? 'VS Code desktop (downloaded)' : process.env.VSCODE_EXECUTABLE ? `VS Code at ${executable}` : "code-server's VS Code (offline launcher, not Electron)"}; workspace ${ws}\n`,
);
let code = 0;
try {
  await runTests({
    ...(executable ? { vscodeExecutablePath: executable } : {}),
    extensionDevelopmentPath: root,
    extensionTestsPath: bundle,
    launchArgs: [workspaceFile],
  });
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  code = 1;
}
for (const d of [ws, ws2]) rmSync(d, { recursive: true, force: true });
process.exit(code);

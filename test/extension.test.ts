/**
 * The extension's logic against a `vscode` test double (test/vscode-double.ts) and the
 * real sidecar: activation registers every contributed command, "Train" starts a run
 * and feeds the dashboard and status bar, "Stop Training" ends it, and an opened config
 * gets located diagnostics. (A real VS Code extension host is not reachable offline
 * here; see README.)
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { repoRoot, tempDir } from './helpers.ts';

interface Double {
  commands: Map<string, (...a: unknown[]) => unknown>;
  messages: { level: string; text: string }[];
  statusText: string;
  panels: { html: string; posted: { type: string }[]; receive(m: unknown): void }[];
  diagnostics: Map<string, { message: string; severity: number; range: { start: { line: number } } }[]>;
  quickPick: (items: { label: string }[]) => unknown;
  workspaceRoot: string;
  files: unknown[];
  opened: { fire(e: unknown): void };
}

let double: Double;
let vscodeUri: { file(p: string): unknown };
let subscriptions: { dispose(): unknown }[] = [];
const ws = tempDir();

async function until(what: string, f: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!f()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

before(async () => {
  mkdirSync(join(repoRoot, '.tmp'), { recursive: true });
  const outfile = join(repoRoot, '.tmp', 'extension-under-test.mjs');
  await build({
    entryPoints: [join(repoRoot, 'extension', 'extension.ts')], outfile, bundle: true, platform: 'node', format: 'esm',
    packages: 'external', alias: { vscode: resolve(repoRoot, 'test', 'vscode-double.ts') }, logLevel: 'warning',
  });
  const ext = (await import(pathToFileURL(outfile).href)) as { activate(ctx: unknown): unknown };
  double = (globalThis as unknown as { __vscodeDouble: Double }).__vscodeDouble;
  const { Uri } = (await import(pathToFileURL(resolve(repoRoot, 'test', 'vscode-double.ts')).href)) as { Uri: typeof vscodeUri };
  vscodeUri = Uri;
  double.workspaceRoot = ws;
  const context = { extensionPath: repoRoot, extensionUri: Uri.file(repoRoot), subscriptions: [] as { dispose(): unknown }[] };
  ext.activate(context);
  subscriptions = context.subscriptions;
});

after(async () => {
  for (const s of subscriptions) await s.dispose();
});

test('activation registers every command the package contributes; menus and schema binding are wired', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    contributes: { commands: { command: string; title: string; category: string }[]; menus: Record<string, { command: string; when: string }[]>; jsonValidation: { fileMatch: string; url: string }[] };
  };
  const contributed = pkg.contributes.commands.map((c) => c.command).sort();
  assert.deepEqual([...double.commands.keys()].sort(), contributed);
  assert.deepEqual(pkg.contributes.commands.map((c) => `${c.category}: ${c.title}`).sort(),
    ['EC-VAE: Generate Samples', 'EC-VAE: Open Dashboard', 'EC-VAE: Restore Image…', 'EC-VAE: Show Backend Info', 'EC-VAE: Stop Training', 'EC-VAE: Train']);
  const menu = pkg.contributes.menus['explorer/context']!.find((m) => m.command === 'ecvae.restoreImage')!;
  const when = new RegExp(/\/(.+)\/i$/.exec(menu.when)![1]!, 'i');
  assert.ok(['.png', '.jpg', '.JPEG'].every((e) => when.test(e)) && !when.test('.gif'), menu.when);
  assert.deepEqual(pkg.contributes.jsonValidation, [{ fileMatch: '*.ecvae.json', url: './schemas/ecvae-run.schema.json' }]);
});

test('Train -> dashboard and status bar follow the run; Stop Training ends it', async () => {
  const config = join(ws, 'toy.ecvae.json');
  writeFileSync(config, JSON.stringify({
    name: 'toy', data: { kind: 'gaussians25', count: 2000 }, model: { hidden: 16, depth: 2, latentDim: 2 },
    training: { iterations: 100000, batchSize: 32 }, calibration: { sgldSteps: 2, sgldStepSize: 0.001 },
    logging: { every: 5, sampleEvery: 100000, checkpointEvery: 100 },
  }));
  double.files = [vscodeUri.file(config)];
  double.quickPick = (items) => items.find((i) => i.label === 'toy.ecvae.json');
  await double.commands.get('ecvae.train')!();
  const panel = double.panels[0]!;
  assert.match(panel.html, /Content-Security-Policy/);
  assert.match(panel.html, /script-src 'nonce-/);
  await until('progress in the status bar', () => /EC-VAE \d+\/100000 · [\d.]+ it\/s/.test(double.statusText));
  await until('metrics in the dashboard', () => panel.posted.some((m) => m.type === 'metrics'));
  assert.equal(panel.posted[0]!.type, 'reset');
  await double.commands.get('ecvae.train')!();
  assert.ok(double.messages.some((m) => m.level === 'warning' && /already training/.test(m.text)));
  panel.receive({ type: 'stop' }); // the dashboard's Stop button
  await until('the run to stop', () => double.messages.some((m) => /EC-VAE training stopped at iteration \d+/.test(m.text)));
  await until('stopped status in the dashboard', () => panel.posted.some((m) => m.type === 'status' && (m as unknown as { status: string }).status === 'stopped'));
});

test('an opened *.ecvae.json gets located diagnostics from the sidecar', async () => {
  const file = join(ws, 'bad.ecvae.json');
  const text = '{\n  "data": {"kind": "mnist"},\n  "training": {"batchSize": 0}\n}';
  double.opened.fire({
    fileName: file, uri: vscodeUri.file(file), getText: () => text,
    positionAt: (o: number) => { const before = text.slice(0, o).split('\n'); return { line: before.length - 1, character: before[before.length - 1]!.length }; },
  });
  await until('diagnostics', () => (double.diagnostics.get(file)?.length ?? 0) > 0);
  const d = double.diagnostics.get(file)![0]!;
  assert.match(d.message, /"training\.batchSize" must be >= 1/);
  assert.equal(d.severity, 0);
  assert.equal(d.range.start.line, 2);
});

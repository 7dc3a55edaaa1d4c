/**
 * The extension's logic against a `vscode` test double (test/vscode-double.ts) and the
 * real sidecar: activation registers every contributed command, the language client
 * starts the config language server process, "Train" starts a run and feeds the
 * dashboard, status bar and Runs tree, "Stop Training" ends it, and cancelling a
 * progress notification cancels the request. (The same extension in a real VS Code:
 * test/vscode-e2e.test.ts.)
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { ToSamplesPanel } from '../../extension/samples/messages.ts';
import { makePlan } from '../../sidecar/sweep/plan.ts';
import { repoRoot, tempDir } from '../helpers.ts';

interface Double {
  commands: Map<string, (...a: unknown[]) => unknown>;
  messages: { level: string; text: string }[];
  statusText: string;
  panels: { viewType: string; html: string; posted: { type: string }[]; receive(m: unknown): void }[];
  uri(path: string): unknown;
  quickPick: (items: { label: string }[]) => unknown;
  workspaceRoot: string;
  trusted: boolean;
  files: unknown[];
  trees: Map<string, TreeProvider>;
  watchers: { pattern: { base: { fsPath: string }; pattern: string } }[];
  cancelNextProgress: boolean;
  progressTitles: string[];
  executed: { id: string; args: unknown[] }[];
  context: Map<string, unknown>;
  codeLensProviders: unknown[];
  warningAnswer: (text: string, choices: string[]) => string | undefined;
  inputAnswers: string[];
}
interface LanguageClientRecord {
  id: string;
  documentSelector: { language: string; pattern: string }[];
  serverOptions: { run: { module: string; transport: number } };
  initialize?: Promise<{ serverInfo?: { name: string } }>;
}

type Node = { kind: string; run?: { name: string; runDir: string }; file?: string; sweep?: { dir: string } };
interface TreeProvider {
  getChildren(n?: Node): Promise<Node[]>;
  getTreeItem(n: Node): { label: string; description?: string; contextValue?: string; iconPath?: { id: string }; command?: { command: string } };
}

let double: Double;
let vscodeUri: { file(p: string): unknown };
let deactivate: () => Promise<void> = async () => undefined;
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
    entryPoints: [join(repoRoot, 'extension', 'extension.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
    alias: { vscode: resolve(repoRoot, 'test', 'vscode-double.ts'), 'vscode-languageclient/node.js': resolve(repoRoot, 'test', 'languageclient-double.ts') },
  });
  const ext = (await import(pathToFileURL(outfile).href)) as { activate(ctx: unknown): unknown; deactivate(): Promise<void> };
  deactivate = ext.deactivate;
  double = (globalThis as unknown as { __vscodeDouble: Double }).__vscodeDouble;
  const { Uri } = (await import(pathToFileURL(resolve(repoRoot, 'test', 'vscode-double.ts')).href)) as { Uri: typeof vscodeUri };
  vscodeUri = Uri;
  double.workspaceRoot = ws;
  const memento = new Map<string, unknown>();
  const workspaceState = {
    get: (k: string, d?: unknown) => (memento.has(k) ? memento.get(k) : d),
    update: async (k: string, v: unknown) => void memento.set(k, v),
    keys: () => [...memento.keys()],
  };
  const context = {
    extensionPath: repoRoot,
    extensionUri: Uri.file(repoRoot),
    globalStorageUri: Uri.file(tempDir('ecvae-global-storage-')),
    subscriptions: [] as { dispose(): unknown }[],
    workspaceState,
  };
  ext.activate(context);
  subscriptions = context.subscriptions;
});

after(async () => {
  for (const s of subscriptions) await s.dispose();
  // As VS Code does on shutdown: the language client ends its server (shutdown + exit).
  await deactivate();
});

test('activation registers every command the package contributes; menus are wired; one validator per config', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    activationEvents: string[];
    contributes: {
      commands: { command: string; title: string; category: string }[];
      menus: Record<string, { command: string; when: string }[]>;
      jsonValidation?: unknown;
      views: { explorer: { id: string; when?: string }[] };
    };
  };
  const contributed = pkg.contributes.commands.map((c) => c.command).sort();
  assert.deepEqual([...double.commands.keys()].sort(), contributed);
  assert.deepEqual(pkg.contributes.commands.map((c) => `${c.category}: ${c.title}`).sort(), [
    'EC-VAE: Create Config from Template…',
    'EC-VAE: Fit Flow Prior',
    'EC-VAE: Generate Samples',
    'EC-VAE: Install GPU Backend…',
    'EC-VAE: Open Dashboard',
    'EC-VAE: Refresh Runs',
    'EC-VAE: Restore Image…',
    'EC-VAE: Resume Training',
    'EC-VAE: Show Backend Info',
    'EC-VAE: Show Runs Table',
    'EC-VAE: Start Sweep…',
    'EC-VAE: Stop Training',
    'EC-VAE: Train',
  ]);
  const menu = pkg.contributes.menus['explorer/context']!.find((m) => m.command === 'ecvae.restoreImage')!;
  const when = new RegExp(/\/(.+)\/i$/.exec(menu.when)![1]!, 'i');
  assert.ok(['.png', '.jpg', '.JPEG'].every((e) => when.test(e)) && !when.test('.gif'), menu.when);
  // The language server reports schema errors; a jsonValidation binding would report each a second time.
  assert.equal(pkg.contributes.jsonValidation, undefined);
  // Showing the Runs view must not activate the extension in every workspace: it shows only where the extension set its key.
  assert.ok(!pkg.activationEvents.some((e) => e.startsWith('onView:')), pkg.activationEvents.join(', '));
  assert.equal(pkg.contributes.views.explorer.find((v) => v.id === 'ecvae.runs')!.when, 'ecvae.hasConfigsOrRuns');
});

test('Train -> dashboard and status bar follow the run; Stop Training ends it', async () => {
  const config = join(ws, 'toy.ecvae.json');
  writeFileSync(
    config,
    JSON.stringify({
      name: 'toy',
      data: { kind: 'gaussians25', count: 2000 },
      model: { hidden: 16, depth: 2, latentDim: 2 },
      training: { iterations: 100000, batchSize: 32 },
      calibration: { sgldSteps: 2, sgldStepSize: 0.001 },
      logging: { every: 5, sampleEvery: 100000, checkpointEvery: 100 },
    }),
  );
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
  // sgldStepSize 0.001 with noise scale 1: the chains are all noise, and the user is told so, once.
  const calibrationWarnings = (): string[] =>
    double.messages.filter((m) => m.level === 'warning' && /^EC-VAE: calibration inactive/.test(m.text)).map((m) => m.text);
  await until('the calibration warning', () => calibrationWarnings().length > 0);
  assert.match(calibrationWarnings()[0]!, /chains are mostly noise \(mean drift [\d.e-]+ vs injected noise [\d.e-]+\)/);
  await until('more progress after the warning', () => panel.posted.filter((m) => m.type === 'metrics').length > 12);
  assert.equal(calibrationWarnings().length, 1, 'shown once per run');
  panel.receive({ type: 'stop' }); // the dashboard's Stop button
  await until('the run to stop', () => double.messages.some((m) => /EC-VAE training stopped at iteration \d+/.test(m.text)));
  await until('stopped status in the dashboard', () =>
    panel.posted.some((m) => m.type === 'status' && (m as unknown as { status: string }).status === 'stopped'),
  );
});

test('the language client is bound to *.ecvae.json and starts the config language server, a process of its own', async () => {
  const [lc] = (globalThis as unknown as { __languageClients: LanguageClientRecord[] }).__languageClients;
  assert.ok(lc, 'a language client was created on activation');
  assert.deepEqual(
    lc.documentSelector.map((d) => d.pattern),
    ['**/*.ecvae.json', '**/*.ecvae.json'],
  );
  assert.deepEqual(
    lc.documentSelector.map((d) => d.language),
    ['json', 'jsonc'],
  );
  assert.match(lc.serverOptions.run.module, /[/\\]dist[/\\]language-server\.js$/);
  assert.equal(lc.serverOptions.run.transport, 0, 'stdio');
  const init = await lc.initialize!;
  assert.equal(init.serverInfo?.name, 'ecvae-config');
});

test('the Runs tree lists run folders with status and checkpoints, and watches status files', async () => {
  const tree = double.trees.get('ecvae.runs')!;
  assert.ok(tree, 'the ecvae.runs view has a provider');
  assert.equal(double.watchers[0]!.pattern.pattern, '{*/status.json,*/sweep.json,*/*/status.json}');
  assert.equal(double.watchers[0]!.pattern.base.fsPath, join(ws, 'runs'));
  const roots = await tree.getChildren();
  const run = roots.find((n) => n.run?.name === 'toy')!;
  assert.ok(run, `the toy run is listed: ${JSON.stringify(roots)}`);
  const item = tree.getTreeItem(run);
  assert.equal(item.contextValue, 'ecvae.run');
  assert.match(item.description!, /^stopped · \d+\/100000 · \d+ checkpoints?$/);
  assert.equal(item.iconPath!.id, 'debug-stop');
  assert.equal(item.command!.command, 'ecvae.openDashboard');
  const [ck] = await tree.getChildren(run);
  assert.match(ck!.file!, /checkpoints[/\\].+\.ckpt$/);
  assert.equal(tree.getTreeItem(ck!).contextValue, 'ecvae.checkpoint');
});

test("Train writes the run where the config's output.dir says (relative to the workspace), and the Runs tree lists that folder too", async () => {
  const config = join(ws, 'elsewhere.ecvae.json');
  writeFileSync(
    config,
    JSON.stringify({
      name: 'toy-out',
      data: { kind: 'gaussians25', count: 200 },
      model: { hidden: 8, depth: 1, latentDim: 2 },
      training: { iterations: 3, batchSize: 16 },
      calibration: { sgldSteps: 1 },
      logging: { every: 1, sampleEvery: 100, checkpointEvery: 100 },
      output: { dir: 'out/runs' },
    }),
  );
  double.files = [vscodeUri.file(config)];
  double.quickPick = (items) => items.find((i) => i.label === 'elsewhere.ecvae.json');
  await double.commands.get('ecvae.train')!();
  await until('the run to finish', () => double.messages.some((m) => /EC-VAE training finished at iteration 3/.test(m.text)));
  assert.ok(existsSync(join(ws, 'out', 'runs', 'toy-out', 'status.json')), 'the run folder is <workspace>/<output.dir>/<name>');
  assert.ok(!existsSync(join(ws, 'runs', 'toy-out')), 'not the runsDirectory setting');
  assert.ok(
    double.watchers.some((w) => w.pattern.base.fsPath === join(ws, 'out', 'runs')),
    'its folder is watched',
  );
  const names = (await double.trees.get('ecvae.runs')!.getChildren()).map((n) => n.run?.name);
  assert.ok(names.includes('toy') && names.includes('toy-out'), JSON.stringify(names));
});

test('Generate Samples from a tree item opens the samples panel: one-step and MCMC pictures with times (a scatter plot for 2-D data), Save writes and opens the grid; Cancel cancels a restore request', async () => {
  const tree = double.trees.get('ecvae.runs')!;
  const run = (await tree.getChildren()).find((n) => n.run?.name === 'toy')!;
  await double.commands.get('ecvae.generateSamples')!(run);
  const panel = double.panels.find((p) => p.viewType === 'ecvae.samples')!;
  assert.ok(panel, 'a samples panel opened');
  assert.match(panel.html, /script-src 'nonce-/);
  const posted = <T extends ToSamplesPanel['type']>(type: T) =>
    (panel.posted as ToSamplesPanel[]).filter((m): m is Extract<ToSamplesPanel, { type: T }> => m.type === type);
  panel.receive({ type: 'ready' });
  await until('init', () => posted('init').length > 0);
  panel.receive({ type: 'generate', form: { n: 32, seed: 3, mcmcSteps: 2 } });
  await until('samples', () => posted('samples').length > 0 || posted('error').length > 0);
  const { outcome } = posted('samples')[0]!;
  assert.equal(outcome.n, 32);
  assert.equal(outcome.previews!.kind, 'points', 'a 2-D model shows a scatter plot over the data');
  assert.equal(outcome.previews!.oneStep.length, 1);
  assert.equal(outcome.previews!.mcmc!.length, 1, 'the MCMC-refined samples beside the one-step ones');
  assert.ok(outcome.secondsPerImage.oneStep > 0);
  panel.receive({ type: 'save', form: { n: 32, seed: 3, mcmcSteps: 2 } });
  await until('saved', () => posted('saved').length > 0);
  assert.equal(posted('saved')[0]!.file, join(run.run!.runDir, 'samples-seed3-n32-mcmc2.png'));
  assert.ok(existsSync(posted('saved')[0]!.file));
  assert.ok(double.executed.some((e) => e.id === 'vscode.open'));
  // The restore command's API path runs under a cancellable progress: Cancel cancels the request.
  double.cancelNextProgress = true;
  await double.commands.get('ecvae.restoreImage')!(double.uri(join(ws, 'x.png')), { task: 'denoise', checkpoint: run.run!.runDir });
  assert.ok(
    double.messages.some((m) => m.level === 'info' && m.text === 'EC-VAE: denoise: cancelled.'),
    JSON.stringify(double.messages),
  );
});

test('Fit Flow Prior on a tree item writes <run>-flowprior, reports its held-out fit, and the Runs tree lists it', async () => {
  const tree = double.trees.get('ecvae.runs')!;
  const run = (await tree.getChildren()).find((n) => n.run?.name === 'toy')!;
  const out = await double.commands.get('ecvae.fitFlowPrior')!(run, { iterations: 200 });
  assert.equal(out, join(dirname(run.run!.runDir), 'toy-flowprior'));
  const note = double.messages[double.messages.length - 1]!;
  assert.match(note.text, /^Flow prior fitted: toy-flowprior\. Held-out −log p\(μ\) -?\d+\.\d\d nats against -?\d+\.\d\d for N\(0, I\)\.$/);
  assert.ok((await tree.getChildren()).some((n) => n.run?.name === 'toy-flowprior'));
});

test('the dashboard links to the samples panel of its run and overlays another run picked from the Runs view', async () => {
  const dashboard = double.panels.find((p) => p.viewType === 'ecvae.dashboard')!;
  const samplesBefore = double.panels.filter((p) => p.viewType === 'ecvae.samples').length;
  await double.commands.get('ecvae.openDashboard')!();
  dashboard.receive({ type: 'openSamples' });
  // The dashboard shows the last run trained (toy-out); test 6 opened the samples of another (toy): a new panel.
  await until('a samples panel for the run', () => double.panels.filter((p) => p.viewType === 'ecvae.samples').length === samplesBefore + 1);
  let offered: string[] = [];
  double.quickPick = (items) => {
    offered = (items as { label: string }[]).map((i) => i.label);
    return [items[0]];
  };
  dashboard.receive({ type: 'pickOverlay' });
  await until('the overlay', () => dashboard.posted.some((m) => m.type === 'overlay'));
  const overlay = dashboard.posted.find((m) => m.type === 'overlay') as unknown as { name: string; records: { iteration: number }[] };
  assert.ok(overlay.name.startsWith(offered[0]!), `the picked run: ${overlay.name}`);
  assert.ok(offered.length >= 1 && overlay.records.length > 0, `runs offered: ${offered.join(', ')}`);
});

test('an untrusted workspace: training, sampling, restoration and prior fitting are refused with the reason; the manifest says so', async () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    capabilities: { untrustedWorkspaces: { supported: string }; virtualWorkspaces: { supported: boolean } };
  };
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  assert.equal(pkg.capabilities.virtualWorkspaces.supported, false);
  double.trusted = false;
  try {
    const before = double.messages.length;
    for (const id of ['ecvae.train', 'ecvae.generateSamples', 'ecvae.restoreImage', 'ecvae.fitFlowPrior']) await double.commands.get(id)!();
    assert.deepEqual(
      double.messages.slice(before).map((m) => m.text.replace(/ is disabled.*/, '')),
      ['EC-VAE: training', 'EC-VAE: sampling', 'EC-VAE: restoration', 'EC-VAE: fitting a flow prior'],
    );
    assert.ok(double.messages.slice(before).every((m) => m.level === 'warning' && /untrusted workspace .* Trust the workspace to use it\./.test(m.text)));
  } finally {
    double.trusted = true;
  }
});

test('a new config from the template is the shipped MNIST example, without a $schema path (the language server validates it)', async () => {
  double.files = [];
  double.quickPick = (items) => items.find((i) => /Create a config/.test(i.label)) ?? items.find((i) => /^MNIST/.test(i.label));
  const before = double.messages.length;
  await double.commands.get('ecvae.train')!();
  const created = JSON.parse(readFileSync(join(ws, 'mnist.ecvae.json'), 'utf8')) as Record<string, unknown>;
  const example = JSON.parse(readFileSync(join(repoRoot, 'examples', 'mnist.ecvae.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(created, example);
  assert.ok(!('$schema' in created), 'no $schema: VS Code would report each error twice');
  await double.commands.get('ecvae.stopTraining')!();
  await until('the template run to stop', () => double.messages.slice(before).some((m) => /EC-VAE training (stopped|finished|failed)/.test(m.text)));
});

test('a template never replaces a file without asking: Cancel keeps it, the other choice writes beside it', async () => {
  const file = join(ws, 'mnist.ecvae.json');
  writeFileSync(file, '{ "name": "mine", "data": { "kind": "mnist" } }\n');
  const asked: string[][] = [];
  let answer: string | undefined;
  double.warningAnswer = (_text, choices) => (asked.push(choices), answer === undefined ? undefined : choices.find((c) => c.startsWith(answer!)));
  try {
    assert.equal(await double.commands.get('ecvae.createConfig')!({ template: 'mnist' }), undefined);
    assert.deepEqual(asked[0], ['Replace', 'Create mnist-2.ecvae.json']);
    assert.match(readFileSync(file, 'utf8'), /"mine"/, 'cancelled: the file is untouched');
    answer = 'Create';
    const beside = (await double.commands.get('ecvae.createConfig')!({ template: 'toy', target: double.uri(file) })) as { fsPath: string };
    assert.equal(beside.fsPath, join(ws, 'mnist-2.ecvae.json'));
    assert.match(readFileSync(file, 'utf8'), /"mine"/);
    assert.equal((JSON.parse(readFileSync(beside.fsPath, 'utf8')) as { name: string }).name, 'toy-25gaussians');
    // A target named otherwise (the API may pass any file) gets a free name too, not an endless search.
    const plain = join(ws, 'plain.json');
    writeFileSync(plain, '{}\n');
    const besidePlain = (await double.commands.get('ecvae.createConfig')!({ template: 'toy', target: double.uri(plain) })) as { fsPath: string };
    assert.equal(besidePlain.fsPath, join(ws, 'plain.json-2'));
    rmSync(besidePlain.fsPath);
    rmSync(plain);
    answer = 'Replace';
    await double.commands.get('ecvae.createConfig')!({ template: 'mnist' });
    assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { name: string }).name, 'mnist');
  } finally {
    double.warningAnswer = () => undefined;
  }
});

test('the CodeLens on a config offers Train, Resume, Open Dashboard and Samples; Train on a changed config asks first', async () => {
  assert.equal(double.context.get('ecvae.hasConfigsOrRuns'), true, 'the Runs view shows in a workspace with configs and runs');
  const config = join(ws, 'toy.ecvae.json');
  const provider = double.codeLensProviders[0] as { provideCodeLenses(d: unknown): { command: { title: string; command: string } }[] };
  const doc = (text: string) => ({ uri: double.uri(config), getText: () => text });
  const original = readFileSync(config, 'utf8');
  const titles = (text: string) => provider.provideCodeLenses(doc(text)).map((l) => l.command.title);
  assert.deepEqual(
    titles(original).map((t) => t.replace(/\d+\/100000/, 'N')),
    ['$(play) Train', '$(debug-continue) Resume from N', '$(graph-line) Open Dashboard', '$(symbol-color) Samples'],
  );
  const edited = original.replace('"batchSize":32', '"batchSize":16');
  assert.notEqual(edited, original);
  assert.match(titles(edited)[1]!, /\(config changed since\)$/);
  writeFileSync(config, edited);
  const asked: { text: string; choices: string[] }[] = [];
  double.warningAnswer = (text, choices) => void asked.push({ text, choices });
  const panelsBefore = double.panels.length;
  try {
    assert.equal(await double.commands.get('ecvae.train')!(double.uri(config)), undefined, 'Cancel: nothing starts');
    assert.match(asked[0]!.text, /^toy\.ecvae\.json changed since run "toy" was trained \(iteration \d+ of 100000\)\.$/);
    assert.deepEqual(asked[0]!.choices, ['New run', 'Resume anyway']);
    assert.equal(double.panels.length, panelsBefore);
    double.warningAnswer = (_t, choices) => choices.find((c) => c === 'New run');
    const runDir = await double.commands.get('ecvae.train')!(double.uri(config));
    assert.equal(runDir, join(ws, 'runs', 'toy-2'), 'a new run goes beside the old one');
    const stopped = (): number => double.messages.filter((m) => /EC-VAE training stopped/.test(m.text)).length;
    const before = stopped();
    await double.commands.get('ecvae.stopTraining')!();
    await until('the new run to stop', () => stopped() > before);
    const source = JSON.parse(readFileSync(join(ws, 'runs', 'toy-2', 'source.json'), 'utf8')) as { configFile: string };
    assert.equal(source.configFile, config);
  } finally {
    double.warningAnswer = () => undefined;
    writeFileSync(config, original);
  }
});

test('Start Sweep trains the config over seeds and a field with the CLI; the Runs tree shows the sweep as a group with its runs and their states', async () => {
  const config = join(ws, 'sweepme.ecvae.json');
  writeFileSync(
    config,
    JSON.stringify({
      name: 'sweepme',
      data: { kind: 'gaussians25', count: 200 },
      model: { hidden: 8, depth: 1, latentDim: 2 },
      training: { iterations: 3, batchSize: 16 },
      calibration: { sgldSteps: 1 },
      logging: { every: 1, sampleEvery: 100, checkpointEvery: 100 },
    }),
  );
  double.inputAnswers = ['0,1', 'calibration.lambdaInit=10,30'];
  await double.commands.get('ecvae.startSweep')!(double.uri(config));
  assert.ok(
    double.messages.some((m) => m.level === 'info' && /EC-VAE sweep finished: 4 runs in .*sweepme-sweep/.test(m.text)),
    JSON.stringify(double.messages.slice(-3)),
  );
  const tree = double.trees.get('ecvae.runs')!;
  const group = (await tree.getChildren()).find((n) => n.kind === 'sweep' && n.sweep!.dir === join(ws, 'runs', 'sweepme-sweep'))!;
  assert.ok(group, 'the sweep is a group at the top of the Runs view');
  const item = tree.getTreeItem(group);
  assert.equal(item.label, 'sweepme-sweep');
  assert.equal(item.contextValue, 'ecvae.sweep');
  assert.equal(item.description, 'sweep of sweepme · 4 runs · 4 finished');
  const runs = await tree.getChildren(group);
  assert.deepEqual(
    runs.map((r) => tree.getTreeItem(r).label),
    ['lambdaInit=10_seed=0', 'lambdaInit=10_seed=1', 'lambdaInit=30_seed=0', 'lambdaInit=30_seed=1'],
  );
  for (const r of runs) assert.match(tree.getTreeItem(r).description!, /^finished · 3\/3 · 1 checkpoint$/);
  assert.ok(!(await tree.getChildren()).some((n) => n.kind === 'run' && n.run!.runDir.includes('sweepme-sweep')), 'its runs are listed under it only');

  // Open Dashboard on the group: its first run, the other runs' curves overlaid.
  const before = double.panels.find((p) => p.viewType === 'ecvae.dashboard')?.posted.length ?? 0;
  await double.commands.get('ecvae.openDashboard')!(group);
  const dashboard = double.panels.find((p) => p.viewType === 'ecvae.dashboard')!;
  const posted = dashboard.posted.slice(dashboard.posted.length - (dashboard.posted.length - before)) as { type: string; name?: string; records?: unknown[] }[];
  assert.deepEqual(
    posted.filter((m) => m.type === 'overlay').map((m) => [m.name, m.records!.length]),
    [
      ['lambdaInit=10_seed=1', 3],
      ['lambdaInit=30_seed=0', 3],
      ['lambdaInit=30_seed=1', 3],
    ],
  );

  // One more seed, planned but not started (as a sweep whose first runs still train): its runs read "queued".
  makePlan({ config, seeds: '2', sets: ['calibration.lambdaInit=10,30'], out: group.sweep!.dir });
  const regrouped = (await tree.getChildren()).find((n) => n.kind === 'sweep' && n.sweep!.dir === group.sweep!.dir)!;
  assert.equal(tree.getTreeItem(regrouped).description, 'sweep of sweepme · 6 runs · 4 finished, 2 queued');
  const queued = (await tree.getChildren(regrouped)).slice(4).map((r) => tree.getTreeItem(r));
  assert.deepEqual(
    queued.map((i) => [i.label, i.description!.split(' · ')[0], i.iconPath!.id]),
    [
      ['lambdaInit=10_seed=2', 'queued', 'clock'],
      ['lambdaInit=30_seed=2', 'queued', 'clock'],
    ],
  );

  // A field the config does not have is the CLI's clear error.
  double.inputAnswers = ['0', 'calibration.lamdaInit=1,2'];
  await double.commands.get('ecvae.startSweep')!(double.uri(config));
  assert.match(
    double.messages.at(-1)!.text,
    /EC-VAE sweep failed: --set calibration\.lamdaInit: "calibration" has no field "lamdaInit"\. Did you mean "calibration\.lambdaInit"\?/,
  );
});

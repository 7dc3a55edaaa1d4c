/**
 * The extension in VS Code's extension host, through the real `vscode` API: activation
 * with no sidecar until an action, contributed commands, the config language client,
 * training to the end and stopping mid-run, the CodeLens and its actions, the prompt on
 * a changed config, the template-overwrite prompt, the walkthrough, a two-folder
 * workspace, a killed sidecar, restoration through the command API, the runs-folder
 * setting, and the GPU backend: its install failing as it does here, and a backend
 * resolved from global storage. The workspace (two folders with configs, an image) is
 * made by scripts/test-electron.mjs.
 */
import * as assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { EcvaeApi } from '../../extension/extension.ts';
import type { Notifications } from '../../sidecar/protocol.ts';
import type { InstallResult } from '../../extension/backendInstall.ts';
import { writeTestBackendPackage } from '../backendPackage.ts';

export type AddTest = (title: string, fn: () => Promise<void>) => void;

const EXTENSION_ID = 'ecvae-studio.ecvae-studio';

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function defineSuite(test: AddTest): void {
  let api: EcvaeApi;
  const ws = (): string => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const uri = (name: string): vscode.Uri => vscode.Uri.file(join(ws(), name));
  const finished: Notifications['train/finished'][] = [];
  const progress: Notifications['train/progress'][] = [];
  /** Trains the config through the command and resolves with its train/finished notification. */
  const trainToEnd = async (config: string, afterStart?: (since: number) => Promise<void>): Promise<Notifications['train/finished']> => {
    const before = finished.length;
    const since = progress.length;
    await vscode.commands.executeCommand('ecvae.train', uri(config));
    await afterStart?.(since);
    return until(`${config} to finish`, () => finished[before]);
  };
  const listed = async (): Promise<{ name: string; status: string; runDir: string; checkpoints: string[] }[]> =>
    (await api.runsTree.getChildren()).flatMap((n) => (n.kind === 'run' ? [n.run] : []));

  /** Answers the extension's next questions (prompts.ask) as a user would, recording them. */
  const asked: { message: string; choices: string[] }[] = [];
  const answerWith = (pick: (choices: string[]) => string | undefined): void => {
    api.prompts.ask = async (message: string, _detail: string, ...choices: string[]) => {
      asked.push({ message, choices });
      return pick(choices);
    };
  };

  test('the extension activates in a workspace with configs; no sidecar process starts before an action', async () => {
    const ext = vscode.extensions.getExtension<EcvaeApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is loaded from the development path`);
    // A workspace extension: under Remote-SSH or a Dev Container the sidecar trains on the remote machine (README, GPU server).
    assert.equal(ext.extensionKind, vscode.ExtensionKind.Workspace);
    api = await until('activation by workspaceContains:**/*.ecvae.json', () => (ext.isActive ? ext.exports : undefined), 60_000);
    // Train on a run that exists asks resume or new run: this suite resumes unless a test says otherwise.
    answerWith((choices) => choices.find((c) => c.startsWith('Resume')));
    assert.equal(vscode.workspace.workspaceFolders?.length, 2, 'a two-folder workspace');
    // The Runs view lists run folders without the sidecar.
    await api.runsTree.getChildren();
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(api.client.pid, undefined, 'no sidecar process before the user acts');
  });

  test('an invalid config gets the language server diagnostics (each problem once), hover and completion; still no sidecar', async () => {
    const bad = uri('bad.ecvae.json');
    const doc = await vscode.workspace.openTextDocument(bad);
    await vscode.window.showTextDocument(doc);
    const diags = await until('ecvae diagnostics', () => {
      const d = vscode.languages.getDiagnostics(bad).filter((x) => x.source === 'ecvae');
      return d.length ? d : undefined;
    });
    assert.ok(
      diags.some((d) => /batchSize/.test(d.message) && doc.getText(d.range).includes('0')),
      diags.map((d) => d.message).join('\n'),
    );
    // One diagnostic per problem: no second validator (jsonValidation) reports the schema error again.
    await new Promise((r) => setTimeout(r, 1500));
    const batch = vscode.languages.getDiagnostics(bad).filter((d) => /batchSize/.test(d.message));
    assert.equal(batch.length, 1, batch.map((d) => `${d.source}: ${d.message}`).join('\n'));
    const at = doc.positionAt(doc.getText().indexOf('batchSize') + 2);
    const hovers = await until('a hover', async () => {
      const h = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', bad, at);
      const text = h.flatMap((x) => x.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      return /training\.batchSize/.test(text) ? text : undefined;
    });
    assert.match(hovers, /default `32`/);
    const kindAt = doc.positionAt(doc.getText().indexOf('"mnist"') + 2);
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', bad, kindAt);
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    for (const k of ['gaussians25', 'mnist', 'fashion-mnist', 'folder'])
      assert.ok(
        labels.some((l) => l.includes(k)),
        `${k} in ${labels.join(', ')}`,
      );
    // The CodeLens reads run folders: no sidecar for it either.
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', bad);
    assert.equal(lenses[0]!.command!.command, 'ecvae.train');
    assert.equal(api.client.pid, undefined, 'opening a config starts only the language server');
  });

  test('the sidecar starts on the first action and answers', async () => {
    const init = await api.client.request('initialize', {});
    assert.equal(init.protocolVersion, 1);
    assert.ok(init.backend.attempts.some((a) => a.ok && a.name === init.backend.backend));
    api.client.on('train/finished', (p) => void finished.push(p));
    api.client.on('train/progress', (p) => void progress.push(p));
  });

  test('every command the package contributes is registered', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const contributed = (ext.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands.map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.ok(contributed.length >= 7);
    assert.deepEqual(
      contributed.filter((c) => !registered.has(c)),
      [],
    );
  });

  test('Train runs the toy example to completion with progress, and the Runs tree lists it', async () => {
    const done = await trainToEnd('toy.ecvae.json');
    assert.equal(done.status, 'finished', done.error);
    assert.equal(done.iteration, 60);
    assert.ok(
      progress.some((p) => p.runId === done.runId && p.metrics.iteration > 0),
      'train/progress arrived',
    );
    const run = (await listed()).find((r) => r.name === 'toy');
    assert.ok(run, 'the Runs tree lists the run');
    assert.equal(run.status, 'finished');
    assert.ok(run.checkpoints.length > 0);
    assert.equal(run.runDir, join(ws(), 'runs', 'toy'));
  });

  test('the CodeLens on a trained config: Train, Resume, Open Dashboard and Samples, each doing what it says', async () => {
    const config = uri('toy.ecvae.json');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(config));
    const lenses = await until('the lenses of a trained config', async () => {
      const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', config);
      return l.length === 4 ? l : undefined;
    });
    assert.deepEqual(
      lenses.map((l) => [l.command!.title, l.command!.command]),
      [
        ['$(play) Train', 'ecvae.train'],
        ['$(debug-continue) Resume from 60/60', 'ecvae.resumeTraining'],
        ['$(graph-line) Open Dashboard', 'ecvae.openDashboard'],
        ['$(symbol-color) Samples', 'ecvae.generateSamples'],
      ],
    );
    const run = (title: string) => {
      const c = lenses.find((l) => l.command!.title.includes(title))!.command!;
      return vscode.commands.executeCommand(c.command, ...(c.arguments ?? []));
    };
    const tabs = (): string[] => vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.label));
    await run('Open Dashboard');
    await until('the dashboard tab', () => tabs().includes('EC-VAE Training'));
    await run('Samples');
    await until('the samples tab of the run', () => tabs().includes('Samples: toy'));
    // Resume a finished run: it is at its target, so it finishes at once, from its checkpoint.
    const before = finished.length;
    await run('Resume');
    const resumed = await until('the resumed run to finish', () => finished[before]);
    assert.deepEqual([resumed.status, resumed.iteration], ['finished', 60]);
    // Train on an existing run asks first (this suite answers "Resume").
    const asks = asked.length;
    await run('Train');
    await until('the run to finish', () => finished[before + 1]);
    assert.deepEqual(asked[asks]!.choices, ['Resume', 'New run']);
    assert.match(asked[asks]!.message, /^Run "toy" of toy\.ecvae\.json exists \(finished, iteration 60 of 60\)\.$/);
  });

  test('Train on a config changed since its run asks: new run, resume anyway, or cancel', async () => {
    const file = join(ws(), 'toy.ecvae.json');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('"batchSize": 32', '"batchSize": 16'));
    try {
      answerWith(() => undefined); // Cancel
      const asks = asked.length;
      assert.equal(await vscode.commands.executeCommand('ecvae.train', uri('toy.ecvae.json')), undefined);
      assert.match(asked[asks]!.message, /^toy\.ecvae\.json changed since run "toy" was trained \(iteration 60 of 60\)\.$/);
      assert.deepEqual(asked[asks]!.choices, ['New run', 'Resume anyway']);
      assert.ok(!existsSync(join(ws(), 'runs', 'toy-2')), 'cancelled: nothing started');
      await until('the lens to see the edit', async () => {
        const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri('toy.ecvae.json'));
        return /\(config changed since\)$/.test(lenses[1]?.command?.title ?? '');
      });
      answerWith((choices) => choices.find((c) => c === 'New run'));
      const before = finished.length;
      const runDir = await vscode.commands.executeCommand<string>('ecvae.train', uri('toy.ecvae.json'));
      assert.equal(runDir, join(ws(), 'runs', 'toy-2'));
      const done = await until('the new run to finish', () => finished[before]);
      assert.deepEqual([done.status, done.iteration], ['finished', 60]);
      const source = JSON.parse(readFileSync(join(runDir, 'source.json'), 'utf8')) as { configFile: string };
      assert.equal(source.configFile, file);
      assert.ok(
        (await listed()).some((r) => r.runDir === runDir),
        'the Runs view lists the new run',
      );
    } finally {
      writeFileSync(file, original);
      answerWith((choices) => choices.find((c) => c.startsWith('Resume')));
    }
  });

  test('Create Config from Template never replaces a file without asking', async () => {
    const file = join(ws(), 'toy.ecvae.json');
    const original = readFileSync(file, 'utf8');
    answerWith(() => undefined);
    const asks = asked.length;
    const created = await vscode.commands.executeCommand('ecvae.createConfig', { template: 'toy', target: uri('toy.ecvae.json') });
    assert.equal(created, undefined, 'cancelled');
    assert.deepEqual(asked[asks]!.choices, ['Replace', 'Create toy-2.ecvae.json']);
    assert.equal(readFileSync(file, 'utf8'), original, 'the file is untouched');
    answerWith((choices) => choices.find((c) => c.startsWith('Create')));
    const beside = await vscode.commands.executeCommand<vscode.Uri>('ecvae.createConfig', { template: 'mnist', target: uri('toy.ecvae.json') });
    assert.equal(beside.fsPath, join(ws(), 'toy-2.ecvae.json'));
    assert.equal((JSON.parse(readFileSync(beside.fsPath, 'utf8')) as { name: string }).name, 'mnist');
    assert.equal(readFileSync(file, 'utf8'), original);
    rmSync(beside.fsPath);
    answerWith((choices) => choices.find((c) => c.startsWith('Resume')));
  });

  test('the walkthrough is registered: five steps and the GPU, each with its command and a completion event', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    type Step = { id: string; description: string; completionEvents: string[]; media: { markdown: string } };
    const [walkthrough] = (ext.packageJSON as { contributes: { walkthroughs: { id: string; steps: Step[] }[] } }).contributes.walkthroughs;
    assert.deepEqual(
      walkthrough!.steps.map((s) => s.id),
      ['createConfig', 'train', 'dashboard', 'samples', 'restore', 'gpu'],
    );
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const step of walkthrough!.steps) {
      const linked = [...step.description.matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1]!);
      assert.ok(linked.length && linked.every((c) => registered.has(c)), `${step.id}: ${linked.join(', ')}`);
      assert.ok(step.completionEvents.length > 0, step.id);
      for (const e of step.completionEvents) assert.ok(/^onContext:ecvae\./.test(e) || registered.has(e.replace(/^onCommand:/, '')), `${step.id}: ${e}`);
      assert.ok(existsSync(join(ext.extensionPath, step.media.markdown)), step.media.markdown);
    }
    // VS Code opens it by its full id.
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${EXTENSION_ID}#${walkthrough!.id}`, false);
  });

  test('a two-folder workspace: the second folder is served (its runs listed, its config trains relative to it, its CodeLens)', async () => {
    const second = vscode.workspace.workspaceFolders![1]!.uri.fsPath;
    assert.ok(api.runsTree.dirs().includes(join(second, 'runs')), api.runsTree.dirs().join(', '));
    const config = vscode.Uri.file(join(second, 'second.ecvae.json'));
    const before = finished.length;
    await vscode.commands.executeCommand('ecvae.train', config);
    const done = await until('the second folder run to finish', () => finished[before]);
    assert.equal(done.status, 'finished', done.error);
    assert.ok(existsSync(join(second, 'runs', 'second', 'status.json')), "the run is in the config's own folder");
    assert.ok((await listed()).some((r) => r.runDir === join(second, 'runs', 'second')));
    await vscode.workspace.openTextDocument(config);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', config);
    assert.ok(lenses.some((l) => l.command!.command === 'ecvae.resumeTraining'));
  });

  test('Stop Training mid-run leaves a checkpoint that the next Train resumes from', async () => {
    const first = await trainToEnd('long.ecvae.json', async (since) => {
      await until('progress of the long run', () => progress.slice(since).some((p) => p.metrics.iteration >= 20));
      await vscode.commands.executeCommand('ecvae.stopTraining');
    });
    assert.equal(first.status, 'stopped');
    const runDir = join(ws(), 'runs', 'long');
    assert.ok(readdirSync(join(runDir, 'checkpoints')).some((f) => f.endsWith('.ckpt')));
    let resumedAt = 0;
    const second = await trainToEnd('long.ecvae.json', async (since) => {
      resumedAt = (await until('progress after resuming', () => progress.slice(since).find((p) => p.metrics.iteration > 0))).metrics.iteration;
      await vscode.commands.executeCommand('ecvae.stopTraining');
    });
    assert.ok(resumedAt > first.iteration, `resumed at ${resumedAt}, after ${first.iteration}`);
    assert.equal(second.status, 'stopped');
  });

  test('a killed sidecar fails the request in flight clearly, and the next request starts a new one', async () => {
    const { pid } = await api.client.request('initialize', {});
    const inFlight = api.client.request('sample', { checkpoint: join(ws(), 'runs', 'toy'), out: join(ws(), 'big.png'), n: 10_000, mcmcSteps: 1000 });
    await new Promise((r) => setTimeout(r, 300));
    process.kill(pid, 'SIGKILL');
    await assert.rejects(inFlight, /sidecar stopped unexpectedly \(signal SIGKILL\).*restarted on the next command/s);
    const again = await api.client.request('initialize', {});
    assert.notEqual(again.pid, pid);
  });

  test('Restore Image… through the command API inpaints an image with a trained model', async () => {
    const done = await trainToEnd('digits.ecvae.json');
    assert.equal(done.status, 'finished', done.error);
    const out = await vscode.commands.executeCommand<string | undefined>('ecvae.restoreImage', uri('digit.png'), {
      task: 'inpaint',
      checkpoint: join(ws(), 'runs', 'digits'),
      params: { mask: 'half' },
    });
    assert.equal(out, join(ws(), 'digit.inpaint-restored.png'));
    assert.ok(existsSync(out));
  });

  test('the ecvae.runsDirectory setting decides which folder the Runs view lists', async () => {
    cpSync(join(ws(), 'runs', 'toy'), join(ws(), 'elsewhere', 'toy-copy'), { recursive: true });
    const settings = vscode.workspace.getConfiguration('ecvae');
    await settings.update('runsDirectory', 'elsewhere', vscode.ConfigurationTarget.Workspace);
    try {
      assert.ok(api.runsTree.dirs().includes(join(ws(), 'elsewhere')));
      const dirs = (await listed()).map((r) => r.runDir);
      assert.ok(dirs.includes(join(ws(), 'elsewhere', 'toy-copy')), dirs.join(', '));
      assert.ok(dirs.includes(join(ws(), 'runs', 'toy')), 'folders runs were trained into stay listed');
      // An absolute folder is taken as it is, not under the workspace.
      const absolute = join(ws(), 'elsewhere');
      await settings.update('runsDirectory', absolute, vscode.ConfigurationTarget.Workspace);
      assert.ok(api.runsTree.dirs().includes(absolute), api.runsTree.dirs().join(', '));
    } finally {
      await settings.update('runsDirectory', undefined, vscode.ConfigurationTarget.Workspace);
    }
    assert.ok(!api.runsTree.dirs().includes(join(ws(), 'elsewhere')));
  });

  test('Install GPU Backend: npm fails here (libtensorflow cannot be downloaded); the reason, the next step, nothing half-installed', async () => {
    const r = await vscode.commands.executeCommand<InstallResult>('ecvae.installGpuBackend', { variant: 'gpu' });
    assert.ok(!r.ok && 'reason' in r, JSON.stringify(r));
    // Which failure depends on the machine: no registry, no download of libtensorflow, or no CUDA to load it.
    assert.match(r.reason, /libtensorflow|package registry|CUDA/);
    assert.ok(r.next.length > 20, r.next);
    const left = existsSync(api.backendsRoot) ? readdirSync(api.backendsRoot) : [];
    assert.deepEqual(left, [], 'nothing half-installed in the backends folder');
  });

  test("a backend package in the extension's global storage is resolved by the sidecar and reported", async () => {
    const folder = join(api.backendsRoot, 'tfjs-node');
    writeTestBackendPackage(folder, vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath);
    try {
      assert.equal(await api.client.restartWhenIdle(), true);
      const report = await vscode.commands.executeCommand<{ backend: string; attempts: { name: string; ok: boolean; detail: string }[] }>(
        'ecvae.showBackendInfo',
      );
      assert.equal(report.backend, 'tensorflow');
      assert.equal(report.attempts.find((a) => a.name === 'tensorflow')!.detail, `native libtensorflow on the CPU (tfjs-node from ${folder})`);
      assert.match(report.attempts.find((a) => a.name === 'tensorflow-gpu')!.detail, /not installed/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
      await api.client.restartWhenIdle();
    }
  });
}

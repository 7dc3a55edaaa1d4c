/**
 * The extension in VS Code's extension host, through the real `vscode` API: activation,
 * contributed commands, the config language client, training to the end and stopping
 * mid-run, a killed sidecar, restoration through the command API, and the runs-folder
 * setting. The workspace (configs, an image) is made by scripts/test-electron.mjs.
 */
import * as assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { EcvaeApi } from '../../extension/extension.ts';
import type { Notifications } from '../../sidecar/protocol.ts';

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

  test('the extension activates in a workspace with a config and returns its API; the sidecar answers', async () => {
    const ext = vscode.extensions.getExtension<EcvaeApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is loaded from the development path`);
    // A workspace extension: under Remote-SSH or a Dev Container the sidecar trains on the remote machine (README, GPU server).
    assert.equal(ext.extensionKind, vscode.ExtensionKind.Workspace);
    api = await until('activation by workspaceContains:**/*.ecvae.json', () => (ext.isActive ? ext.exports : undefined), 60_000);
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

  test('an invalid config gets the language server diagnostics, hover and completion', async () => {
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
    } finally {
      await settings.update('runsDirectory', undefined, vscode.ConfigurationTarget.Workspace);
    }
    assert.ok(!api.runsTree.dirs().includes(join(ws(), 'elsewhere')));
  });
}

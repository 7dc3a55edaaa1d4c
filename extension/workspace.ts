/**
 * What the commands ask of the workspace and the user: trust, the folders runs go to,
 * a config to train (or one made from the template), and a cancellable progress
 * notification around sidecar work.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import mnistExample from '../examples/mnist.ecvae.json' with { type: 'json' };
import { RequestCancelledError } from './sidecarClient.ts';

const CONFIG_GLOB = '**/*.ecvae.json';

// The new-config template is the shipped, measured MNIST example (docs/calibration.md),
// bundled. Its "$schema" (a path inside this repository) is dropped: in a workspace the
// extension's jsonValidation binds *.ecvae.json files to the schema it ships.
const { $schema: _repoSchemaPath, ...TEMPLATE } = mnistExample;

/** Commands that read and write files a workspace names: not in an untrusted workspace. */
export function requireTrust(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(
    `EC-VAE: ${what} is disabled in an untrusted workspace (it reads and writes files the workspace names). Trust the workspace to use it.`,
  );
  return false;
}

/** The folder a config's relative output.dir is relative to. */
export function workspaceDir(): string {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
}

/** The `ecvae.runsDirectory` folder, which the Runs view always lists. */
export function runsDir(): string {
  return join(workspaceDir(), vscode.workspace.getConfiguration('ecvae').get<string>('runsDirectory', 'runs'));
}

/** A `*.ecvae.json` of the workspace, or a new one from the template. */
export async function pickConfig(): Promise<string | undefined> {
  const files = await vscode.workspace.findFiles(CONFIG_GLOB, '**/node_modules/**', 200);
  const create = '$(add) Create a config from the MNIST template…';
  const items = [...files.map((f) => ({ label: vscode.workspace.asRelativePath(f), uri: f })), { label: create, uri: undefined }];
  const picked = await vscode.window.showQuickPick(items, { placeHolder: 'EC-VAE run config to train' });
  if (!picked) return undefined;
  if (picked.uri) return picked.uri.fsPath;
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showErrorMessage('Open a folder first: the new config is created in the workspace.');
    return undefined;
  }
  const uri = vscode.Uri.joinPath(folder.uri, 'mnist.ecvae.json');
  await vscode.workspace.fs.writeFile(uri, Buffer.from(JSON.stringify(TEMPLATE, null, 2) + '\n'));
  await vscode.window.showTextDocument(uri);
  return uri.fsPath;
}

/**
 * Runs sidecar work under a cancellable progress notification: Cancel sends
 * `$/cancelRequest` and the sidecar stops the work. Resolves undefined when cancelled.
 */
export async function cancellable<T>(title: string, work: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
  try {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      return work(abort.signal);
    });
  } catch (err) {
    if (!(err instanceof RequestCancelledError)) throw err;
    void vscode.window.showInformationMessage(`${title}: cancelled.`);
    return undefined;
  }
}

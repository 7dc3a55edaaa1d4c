/**
 * What the commands ask of the workspace and the user: trust, the workspace folder a
 * config or run belongs to (every folder of a multi-root workspace is served), the
 * folders runs go to, a config to train, and a cancellable progress notification
 * around sidecar work.
 */
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import { RequestCancelledError } from './sidecarClient.ts';

export const CONFIG_GLOB = '**/*.ecvae.json';

/** Commands that read and write files a workspace names: not in an untrusted workspace. */
export function requireTrust(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(
    `EC-VAE: ${what} is disabled in an untrusted workspace (it reads and writes files the workspace names). Trust the workspace to use it.`,
  );
  return false;
}

/**
 * The folder a config's relative output.dir is relative to: the workspace folder that
 * holds the file (the first folder for a file outside the workspace, or none open).
 */
export function workspaceDir(file?: string): string {
  const folder = file ? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file)) : undefined;
  return (folder ?? vscode.workspace.workspaceFolders?.[0])?.uri.fsPath ?? process.cwd();
}

/** The `ecvae.runsDirectory` folder of every workspace folder (the setting is per folder), which the Runs view always lists. */
export function runsDirs(): string[] {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (!folders.length) return [join(process.cwd(), 'runs')];
  return folders.map((f) => resolve(f.uri.fsPath, vscode.workspace.getConfiguration('ecvae', f.uri).get<string>('runsDirectory', 'runs')));
}

/** The workspace folder to create something in: the only one, or the one the user picks. */
export async function pickWorkspaceFolder(what: string): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (!folders.length) {
    void vscode.window.showErrorMessage(`Open a folder first: ${what} is created in the workspace.`);
    return undefined;
  }
  if (folders.length === 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder: `Workspace folder for ${what}` });
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

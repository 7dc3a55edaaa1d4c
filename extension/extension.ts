/**
 * EC-VAE Studio, the VS Code side: wires the sidecar (extension/sidecarClient.ts, which
 * does all compute), the config language client, the Runs tree, training with its
 * dashboard (training.ts), and the commands that use a trained model (imageCommands.ts).
 * Everything long-running reports through window.withProgress and can be cancelled.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { DASHBOARD_VIEW_TYPE, DashboardPanel } from './dashboard/panel.ts';
import { imageCommands } from './imageCommands.ts';
import { RESTORE_VIEW_TYPE, RestorePanel } from './restore/panel.ts';
import { SAMPLES_VIEW_TYPE, SamplesPanel } from './samples/panel.ts';
import { startConfigLanguageClient } from './languageClient.ts';
import { RunsTreeProvider } from './runsTree.ts';
import { SidecarClient } from './sidecarClient.ts';
import { Training } from './training.ts';
import { runsDir } from './workspace.ts';

let languageClient: ReturnType<typeof startConfigLanguageClient> | undefined;

/** What activate() returns (vscode.extensions.getExtension(...).exports): for tests and other extensions. */
export interface EcvaeApi {
  /** The sidecar: typed requests (sidecar/protocol.ts) and its notifications. */
  client: SidecarClient;
  /** The Runs view's data: the folders it lists and their runs. */
  runsTree: RunsTreeProvider;
}

export function activate(context: vscode.ExtensionContext): EcvaeApi {
  const output = vscode.window.createOutputChannel('EC-VAE');
  const client = new SidecarClient({
    sidecarPath: join(context.extensionPath, 'dist', 'sidecar.js'),
    onLog: (line) => output.appendLine(line),
    onDied: (err, runs) => {
      output.appendLine(err.message);
      if (runs.length) void vscode.window.showErrorMessage(`Training run failed: ${err.message.split('\n')[0]}`);
    },
  });
  languageClient = startConfigLanguageClient(client, output);
  const runsTree = new RunsTreeProvider(client, runsDir, context.workspaceState);
  const restoreHost = { client, runsTree, state: context.workspaceState, extensionUri: context.extensionUri };
  const training = new Training(client, runsTree, context.extensionUri, {
    openSamples: (runDir) => SamplesPanel.createOrShow(client, context.extensionUri, runDir),
    openRestore: (runDir) => RestorePanel.pickImageAndShow(restoreHost, runDir),
  });

  const commands: Record<string, (...args: never[]) => unknown> = {
    ...training.commands,
    ...imageCommands(client, runsTree, () => training.activeRunDir, restoreHost),
    'ecvae.refreshRuns': () => runsTree.refresh(),
    'ecvae.showBackendInfo': async () => {
      const r = await client.request('initialize', {});
      output.appendLine(`backend ${r.backend.backend}: ${r.backend.reason}`);
      for (const a of r.backend.attempts) output.appendLine(`  ${a.ok ? 'ok  ' : 'fail'} ${a.name}: ${a.detail}`);
      output.show(true);
      void vscode.window.showInformationMessage(`EC-VAE backend: ${r.backend.backend} (${r.backend.reason})`);
    },
  };

  context.subscriptions.push(
    output,
    runsTree,
    training,
    vscode.window.createTreeView('ecvae.runs', { treeDataProvider: runsTree, showCollapseAll: true }),
    ...Object.entries(commands).map(([id, f]) => vscode.commands.registerCommand(id, f)),
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel) => {
        DashboardPanel.revive(panel, context.extensionUri, training.dashboardHost, training.activeRunDir);
      },
    }),
    vscode.window.registerWebviewPanelSerializer(SAMPLES_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => SamplesPanel.revive(panel, client, context.extensionUri, state),
    }),
    vscode.window.registerWebviewPanelSerializer(RESTORE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => RestorePanel.revive(panel, restoreHost, state),
    }),
    client.on('log', (p) => output.appendLine(p.message)),
    { dispose: () => void client.dispose() },
  );
  return { client, runsTree };
}

export async function deactivate(): Promise<void> {
  DashboardPanel.current?.dispose();
  await languageClient?.stop();
}

/**
 * EC-VAE Studio, the VS Code side: wires the sidecar (extension/sidecarClient.ts, which
 * does all compute), the config language client, the Runs tree, the CodeLens on configs,
 * training with its dashboard (training.ts), and the commands that use a trained model
 * (imageCommands.ts). Everything long-running reports through window.withProgress and
 * can be cancelled. The sidecar process starts on the first action that needs it (train,
 * samples, restore, backend info, fit prior), never to show a view or a lens.
 */
import { delimiter, join } from 'node:path';
import * as vscode from 'vscode';
import { DASHBOARD_VIEW_TYPE, DashboardPanel } from './dashboard/panel.ts';
import { imageCommands } from './imageCommands.ts';
import { RESTORE_VIEW_TYPE, RestorePanel } from './restore/panel.ts';
import { SAMPLES_VIEW_TYPE, SamplesPanel } from './samples/panel.ts';
import { startConfigLanguageClient } from './languageClient.ts';
import { backendCommands } from './backendCommands.ts';
import { backendsRoot, installedBackendFolders, removeStaleInstalls, SIDECAR_BACKEND_PATHS_ENV } from './backendInstall.ts';
import { CODELENS_SELECTOR, ConfigCodeLensProvider } from './codeLens.ts';
import { prompts } from './prompts.ts';
import { RunsTreeProvider } from './runsTree.ts';
import { sweepCommands } from './sweepCommand.ts';
import { RUNS_TABLE_VIEW_TYPE, RunsTablePanel } from './runsTable/panel.ts';
import { SidecarClient } from './sidecarClient.ts';
import { createConfigFromTemplate } from './templates.ts';
import { Training } from './training.ts';
import { CONFIG_GLOB, runsDirs } from './workspace.ts';

let languageClient: ReturnType<typeof startConfigLanguageClient> | undefined;

/** What activate() returns (vscode.extensions.getExtension(...).exports): for tests and other extensions. */
export interface EcvaeApi {
  /** The sidecar: typed requests (sidecar/protocol.ts) and its notifications. */
  client: SidecarClient;
  /** The Runs view's data: the folders it lists and their runs. */
  runsTree: RunsTreeProvider;
  /** The questions asked before acting (tests answer them by replacing `prompts.ask`). */
  prompts: typeof prompts;
  /** The CodeLens on configs. */
  codeLens: ConfigCodeLensProvider;
  /** Where "Install GPU Backend…" installs optional backends (the sidecar looks there too). */
  backendsRoot: string;
}

/** The context key of the Runs view's `when` clause: the workspace has configs or runs. */
export const HAS_CONFIGS_OR_RUNS = 'ecvae.hasConfigsOrRuns';

export function activate(context: vscode.ExtensionContext): EcvaeApi {
  const output = vscode.window.createOutputChannel('EC-VAE');
  const client = new SidecarClient({
    sidecarPath: join(context.extensionPath, 'dist', 'sidecar.js'),
    onLog: (line) => output.appendLine(line),
    // Optional backends installed by "EC-VAE: Install GPU Backend…" (backendInstall.ts).
    env: () => ({ [SIDECAR_BACKEND_PATHS_ENV]: installedBackendFolders(backendsRoot(context.globalStorageUri.fsPath)).join(delimiter) }),
    onDied: (err, runs) => {
      output.appendLine(err.message);
      if (runs.length) void vscode.window.showErrorMessage(`Training run failed: ${err.message.split('\n')[0]}`);
    },
  });
  removeStaleInstalls(backendsRoot(context.globalStorageUri.fsPath));
  languageClient = startConfigLanguageClient(join(context.extensionPath, 'dist', 'language-server.js'), output);
  const runsTree = new RunsTreeProvider(runsDirs, context.workspaceState);
  const codeLens = new ConfigCodeLensProvider();
  const restoreHost = { client, runsTree, state: context.workspaceState, extensionUri: context.extensionUri };
  const training = new Training(client, runsTree, context.extensionUri, {
    openSamples: (runDir) => SamplesPanel.createOrShow(client, context.extensionUri, runDir),
    openRestore: (runDir) => RestorePanel.pickImageAndShow(restoreHost, runDir),
  });

  const commands: Record<string, (...args: never[]) => unknown> = {
    ...training.commands,
    ...imageCommands(client, runsTree, () => training.activeRunDir, restoreHost),
    'ecvae.refreshRuns': () => runsTree.refresh(),
    'ecvae.createConfig': (options?: unknown) => createConfigFromTemplate(options),
    'ecvae.showRunsTable': () => RunsTablePanel.createOrShow(context.extensionUri, runsTree),
    ...backendCommands(client, output, context.globalStorageUri),
    ...sweepCommands(context.extensionPath, runsTree, output),
  };

  context.subscriptions.push(
    output,
    runsTree,
    training,
    codeLens,
    vscode.window.createTreeView('ecvae.runs', { treeDataProvider: runsTree, showCollapseAll: true }),
    vscode.languages.registerCodeLensProvider(CODELENS_SELECTOR, codeLens),
    runsTree.onDidRefresh(() => {
      codeLens.refresh();
      void updateViewContext(runsTree);
    }),
    vscode.workspace.onDidSaveTextDocument((d) => {
      if (d.uri.fsPath.endsWith('.ecvae.json')) codeLens.refresh();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('ecvae.runsDirectory')) runsTree.rewatch();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => runsTree.rewatch()),
    watchConfigs(runsTree),
    ...Object.entries(commands).map(([id, f]) => vscode.commands.registerCommand(id, f)),
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel) => {
        DashboardPanel.revive(panel, context.extensionUri, training.dashboardHost, training.activeRunDir);
      },
    }),
    vscode.window.registerWebviewPanelSerializer(SAMPLES_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => SamplesPanel.revive(panel, client, context.extensionUri, state),
    }),
    vscode.window.registerWebviewPanelSerializer(RUNS_TABLE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel) => RunsTablePanel.revive(panel, context.extensionUri, runsTree),
    }),
    vscode.window.registerWebviewPanelSerializer(RESTORE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => RestorePanel.revive(panel, restoreHost, state),
    }),
    client.on('log', (p) => output.appendLine(p.message)),
    { dispose: () => void client.dispose() },
  );
  void updateViewContext(runsTree);
  return { client, runsTree, prompts, codeLens, backendsRoot: backendsRoot(context.globalStorageUri.fsPath) };
}

/** Configs created or deleted anywhere in the workspace: the Runs view may appear or go. */
function watchConfigs(runsTree: RunsTreeProvider): vscode.Disposable {
  const watcher = vscode.workspace.createFileSystemWatcher(CONFIG_GLOB);
  for (const on of [watcher.onDidCreate, watcher.onDidDelete]) on(() => runsTree.refresh());
  return watcher;
}

async function updateViewContext(runsTree: RunsTreeProvider): Promise<void> {
  const has = (await runsTree.listRuns()).length > 0 || (await vscode.workspace.findFiles(CONFIG_GLOB, '**/node_modules/**', 1)).length > 0;
  await vscode.commands.executeCommand('setContext', HAS_CONFIGS_OR_RUNS, has);
}

export async function deactivate(): Promise<void> {
  DashboardPanel.current?.dispose();
  await languageClient?.stop();
}

/**
 * EC-VAE Studio, the VS Code side: commands, the training dashboard, a status-bar item,
 * config diagnostics, and the sidecar that does all compute (extension/sidecarClient.ts).
 * Everything long-running reports through window.withProgress and can be cancelled.
 */
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { RESTORATION_TASKS, TASK_NAMES, type Notifications, type RunStatus } from '../sidecar/protocol.ts';
import { DASHBOARD_VIEW_TYPE, DashboardPanel, type DashboardHost } from './dashboard/panel.ts';
import type { FromDashboard } from './dashboard/messages.ts';
import { startConfigLanguageClient } from './languageClient.ts';
import { RunsTreeProvider, type RunsNode } from './runsTree.ts';
import { RequestCancelledError, SidecarClient } from './sidecarClient.ts';
import mnistExample from '../examples/mnist.ecvae.json' with { type: 'json' };

interface ActiveRun {
  runId: string;
  runDir: string;
  status: RunStatus | 'paused';
  /** The calibration warning was shown for this run (once; the dashboard keeps it visible). */
  warnedCalibration?: boolean;
}

const CONFIG_GLOB = '**/*.ecvae.json';

// The new-config template is the shipped, measured MNIST example (docs/calibration.md),
// bundled. Its "$schema" (a path inside this repository) is dropped: in a workspace the
// extension's jsonValidation binds *.ecvae.json files to the schema it ships.
const { $schema: _repoSchemaPath, ...TEMPLATE } = mnistExample;

/** Commands that read and write files a workspace names: not in an untrusted workspace. */
function requireTrust(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(
    `EC-VAE: ${what} is disabled in an untrusted workspace (it reads and writes files the workspace names). Trust the workspace to use it.`,
  );
  return false;
}

let languageClient: ReturnType<typeof startConfigLanguageClient> | undefined;

export function activate(context: vscode.ExtensionContext): { client: SidecarClient } {
  const output = vscode.window.createOutputChannel('EC-VAE');
  const status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 10);
  status.command = 'ecvae.openDashboard';
  let active: ActiveRun | undefined;

  const client = new SidecarClient({
    sidecarPath: join(context.extensionPath, 'dist', 'sidecar.js'),
    onLog: (line) => output.appendLine(line),
    onDied: (err, runs) => {
      output.appendLine(err.message);
      if (runs.length) void vscode.window.showErrorMessage(`Training run failed: ${err.message.split('\n')[0]}`);
    },
  });

  languageClient = startConfigLanguageClient(client, output);
  const runsTree = new RunsTreeProvider(client, () => runsDir(), context.workspaceState);

  const dashboardHost: DashboardHost = {
    onMessage: (m: FromDashboard): void => {
      if (!active) return;
      if (m.type === 'stop') void vscode.commands.executeCommand('ecvae.stopTraining');
      if (m.type === 'pause') void client.request('train/pause', { runId: active.runId }).then(() => setStatus('paused'));
      if (m.type === 'resume') void client.request('train/resume', { runId: active.runId }).then(() => setStatus('running'));
    },
    readRun: (runDir) => client.request('runs/read', { runDir }),
  };

  const setStatus = (s: ActiveRun['status'], message?: string): void => {
    if (active) active.status = s;
    void DashboardPanel.current?.post({ type: 'status', status: s, ...(message ? { message } : {}) });
  };

  const listeners = [
    client.on('train/progress', (p: Notifications['train/progress']) => {
      status.text = `$(pulse) EC-VAE ${p.metrics.iteration}/${p.total} · ${p.metrics.itPerSec.toFixed(1)} it/s`;
      status.show();
      void DashboardPanel.current?.post({ type: 'metrics', records: [p.metrics], total: p.total });
      if (p.metrics.calibrationWarning && active?.runId === p.runId && !active.warnedCalibration) {
        active.warnedCalibration = true;
        void vscode.window.showWarningMessage(`EC-VAE: ${p.metrics.calibrationWarning}`);
      }
    }),
    client.on('train/samples', (p) => {
      const panel = DashboardPanel.current;
      if (panel) void panel.post({ type: 'samples', iteration: p.iteration, kind: p.kind, src: panel.src(p.file) });
    }),
    client.on('train/checkpoint', () => runsTree.refresh()),
    client.on('train/finished', (p) => {
      runsTree.refresh();
      if (active?.runId !== p.runId) return;
      setStatus(p.status, p.error);
      status.text = `EC-VAE ${p.status}`;
      if (p.status === 'failed') void vscode.window.showErrorMessage(`EC-VAE training failed: ${p.error ?? 'unknown error'}`);
      else void vscode.window.showInformationMessage(`EC-VAE training ${p.status} at iteration ${p.iteration}.`);
      active = undefined;
    }),
    client.on('log', (p) => output.appendLine(p.message)),
  ];

  const pickConfig = async (): Promise<string | undefined> => {
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
  };

  function workspaceDir(): string {
    return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
  }

  function runsDir(): string {
    return join(workspaceDir(), vscode.workspace.getConfiguration('ecvae').get<string>('runsDirectory', 'runs'));
  }

  /** The run (or checkpoint) to use: the tree item clicked, else the active run, else a pick among runs with checkpoints. */
  const pickCheckpoint = async (node?: RunsNode): Promise<string | undefined> => {
    if (node?.kind === 'checkpoint') return node.file;
    if (node?.kind === 'run') return node.run.runDir;
    if (active) return active.runDir;
    const runs = await runsTree.listRuns();
    const usable = runs.filter((r) => r.checkpoints.length);
    if (!usable.length) {
      void vscode.window.showErrorMessage(`No trained run with a checkpoint in ${runsTree.dirs().join(', ')}. Train one first (EC-VAE: Train).`);
      return undefined;
    }
    if (usable.length === 1) return usable[0]!.runDir;
    const picked = await vscode.window.showQuickPick(
      usable.map((r) => ({ label: r.name, description: `${r.status} · iteration ${r.iteration}`, runDir: r.runDir })),
      { placeHolder: 'Trained run to use' },
    );
    return picked?.runDir;
  };

  /**
   * Runs sidecar work under a cancellable progress notification: Cancel sends
   * `$/cancelRequest` and the sidecar stops the work. Resolves undefined when cancelled.
   */
  const cancellable = async <T>(title: string, work: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> => {
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
  };

  const commands: Record<string, (...args: never[]) => unknown> = {
    'ecvae.train': async () => {
      if (!requireTrust('training')) return;
      if (active) {
        void vscode.window.showWarningMessage('A run is already training; stop it first (EC-VAE: Stop Training).');
        return;
      }
      const config = await pickConfig();
      if (!config) return;
      try {
        // The run goes where the config says (output.dir, relative to the workspace folder, and name).
        const r = await client.request('train/start', { configPath: config, baseDir: workspaceDir(), resume: true });
        active = { runId: r.runId, runDir: r.runDir, status: 'running' };
        runsTree.addRunsDir(dirname(r.runDir));
        runsTree.refresh();
        DashboardPanel.createOrShow(context.extensionUri, dashboardHost, r.runDir);
      } catch (err) {
        void vscode.window.showErrorMessage(`Cannot start training: ${(err as Error).message}`);
      }
    },
    'ecvae.stopTraining': async () => {
      if (!active) {
        void vscode.window.showInformationMessage('No EC-VAE run is training.');
        return;
      }
      await client.request('train/stop', { runId: active.runId });
    },
    'ecvae.openDashboard': (node?: RunsNode) => {
      DashboardPanel.createOrShow(context.extensionUri, dashboardHost, node?.kind === 'run' ? node.run.runDir : active?.runDir);
    },
    'ecvae.refreshRuns': () => runsTree.refresh(),
    'ecvae.showBackendInfo': async () => {
      const r = await client.request('initialize', {});
      output.appendLine(`backend ${r.backend.backend}: ${r.backend.reason}`);
      for (const a of r.backend.attempts) output.appendLine(`  ${a.ok ? 'ok  ' : 'fail'} ${a.name}: ${a.detail}`);
      output.show(true);
      void vscode.window.showInformationMessage(`EC-VAE backend: ${r.backend.backend} (${r.backend.reason})`);
    },
    'ecvae.generateSamples': async (node?: RunsNode) => {
      if (!requireTrust('sampling')) return;
      try {
        const checkpoint = await pickCheckpoint(node);
        if (!checkpoint) return;
        const out = join(checkpoint.endsWith('.ckpt') ? dirname(dirname(checkpoint)) : checkpoint, 'generated-samples.png');
        const r = await cancellable('EC-VAE: generating samples', (signal) => client.request('sample', { checkpoint, out, n: 64 }, signal));
        if (r) await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(r.out));
      } catch (err) {
        void vscode.window.showErrorMessage(`Sampling failed: ${(err as Error).message}`);
      }
    },
    'ecvae.restoreImage': async (resource: unknown) => {
      if (!requireTrust('restoration')) return;
      const image = resource instanceof vscode.Uri ? resource : (await vscode.window.showOpenDialog({ filters: { Images: ['png', 'jpg', 'jpeg'] } }))?.[0];
      if (!image) return;
      // Until the restoration panel lets a user choose them: the centre box, and the table's defaults.
      const tasks = TASK_NAMES.map((name) => ({
        label: name,
        name,
        description: `${RESTORATION_TASKS[name].title}: ${RESTORATION_TASKS[name].description}${name === 'inpaint' ? ' (the centre box)' : ''}`,
      }));
      const task = (await vscode.window.showQuickPick(tasks, { placeHolder: 'Restoration task' }))?.name;
      if (!task) return;
      const out = image.fsPath.replace(/\.(png|jpe?g)$/i, `.${task}-restored.png`);
      try {
        const checkpoint = await pickCheckpoint();
        if (!checkpoint) return;
        const r = await cancellable(`EC-VAE: ${task}`, (signal) =>
          client.request(
            'restore',
            { checkpoint, image: image.fsPath, task, out, ...RESTORATION_TASKS[task].defaults, ...(task === 'inpaint' ? { mask: 'center' } : {}) },
            signal,
          ),
        );
        if (!r) return;
        // Before | after: both in VS Code's image preview, side by side (a diff editor would show PNGs as binary text).
        await vscode.commands.executeCommand('vscode.openWith', image, 'imagePreview.previewEditor', vscode.ViewColumn.Active);
        await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(r.out), 'imagePreview.previewEditor', vscode.ViewColumn.Beside);
        void vscode.window.showInformationMessage(`EC-VAE ${task}: ${basename(image.fsPath)} -> ${basename(r.out)} (${r.secondsPerImage.toFixed(2)} s).`);
      } catch (err) {
        void vscode.window.showErrorMessage(`Restoration failed: ${(err as Error).message}`);
      }
    },
  };

  context.subscriptions.push(
    output,
    status,
    runsTree,
    vscode.window.createTreeView('ecvae.runs', { treeDataProvider: runsTree, showCollapseAll: true }),
    ...Object.entries(commands).map(([id, f]) => vscode.commands.registerCommand(id, f)),
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel) => {
        DashboardPanel.revive(panel, context.extensionUri, dashboardHost, active?.runDir);
      },
    }),
    ...listeners,
    { dispose: () => void client.dispose() },
  );
  return { client };
}

export async function deactivate(): Promise<void> {
  DashboardPanel.current?.dispose();
  await languageClient?.stop();
}

/**
 * EC-VAE Studio, the VS Code side: commands, the training dashboard, a status-bar item,
 * config diagnostics, and the sidecar that does all compute (extension/sidecarClient.ts).
 * Everything long-running reports through window.withProgress and can be cancelled.
 */
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { RunStatus } from '../sidecar/engine/run.ts';
import type { Notifications } from '../sidecar/protocol.ts';
import { DASHBOARD_VIEW_TYPE, DashboardPanel } from './dashboard/panel.ts';
import type { FromDashboard } from './dashboard/messages.ts';
import { SidecarClient } from './sidecarClient.ts';

interface ActiveRun {
  runId: string;
  runDir: string;
  status: RunStatus | 'paused';
}

const CONFIG_GLOB = '**/*.ecvae.json';

const TEMPLATE = {
  $schema: 'https://ecvae.studio/schemas/ecvae-run.schema.json',
  name: 'mnist',
  data: { kind: 'mnist', split: 'train' },
  model: { kind: 'conv', latentDim: 8, width: 8, ebmHidden: 64 },
  training: { iterations: 2000, batchSize: 32, vaeLearningRate: 0.001, adamBeta1: 0.5, beta: 1.0, ebmRegularization: 0.01 },
  calibration: { sgldSteps: 5, sgldStepSize: 0.01, sgldNoiseScale: 0.1, lambdaInit: 1 },
  logging: { every: 25, sampleEvery: 250, checkpointEvery: 250, sampleMcmcSteps: 5 },
};

export function activate(context: vscode.ExtensionContext): { client: SidecarClient } {
  const output = vscode.window.createOutputChannel('EC-VAE');
  const status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 10);
  status.command = 'ecvae.openDashboard';
  const diagnostics = vscode.languages.createDiagnosticCollection('ecvae');
  let active: ActiveRun | undefined;

  const client = new SidecarClient({
    sidecarPath: join(context.extensionPath, 'dist', 'sidecar.js'),
    onLog: (line) => output.appendLine(line),
    onDied: (err, runs) => {
      output.appendLine(err.message);
      if (runs.length) void vscode.window.showErrorMessage(`Training run failed: ${err.message.split('\n')[0]}`);
    },
  });

  const onDashboardMessage = (m: FromDashboard): void => {
    if (!active) return;
    if (m.type === 'stop') void vscode.commands.executeCommand('ecvae.stopTraining');
    if (m.type === 'pause') void client.request('train/pause', { runId: active.runId }).then(() => setStatus('paused'));
    if (m.type === 'resume') void client.request('train/resume', { runId: active.runId }).then(() => setStatus('running'));
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
    }),
    client.on('train/samples', (p) => {
      const panel = DashboardPanel.current;
      if (panel) void panel.post({ type: 'samples', iteration: p.iteration, kind: p.kind, src: panel.src(p.file) });
    }),
    client.on('train/finished', (p) => {
      if (active?.runId !== p.runId) return;
      setStatus(p.status, p.error);
      status.text = `EC-VAE ${p.status}`;
      if (p.status === 'failed') void vscode.window.showErrorMessage(`EC-VAE training failed: ${p.error ?? 'unknown error'}`);
      else void vscode.window.showInformationMessage(`EC-VAE training ${p.status} at iteration ${p.iteration}.`);
      active = undefined;
    }),
    client.on('log', (p) => output.appendLine(p.message)),
  ];

  const validate = async (doc: vscode.TextDocument): Promise<void> => {
    if (!doc.fileName.endsWith('.ecvae.json')) return;
    try {
      const r = await client.request('config/validate', { text: doc.getText(), baseDir: dirname(doc.fileName) });
      diagnostics.set(doc.uri, r.diagnostics.map((d) => {
        const range = new vscode.Range(doc.positionAt(d.offset), doc.positionAt(d.offset + Math.max(d.length, 1)));
        const diag = new vscode.Diagnostic(range, d.message, d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
        diag.source = 'ecvae';
        return diag;
      }));
    } catch (err) {
      output.appendLine(`config validation failed: ${(err as Error).message}`);
    }
  };

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

  const runsDir = (): string => {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
    return join(folder, vscode.workspace.getConfiguration('ecvae').get<string>('runsDirectory', 'runs'));
  };

  const commands: Record<string, (...args: unknown[]) => unknown> = {
    'ecvae.train': async () => {
      if (active) {
        void vscode.window.showWarningMessage('A run is already training; stop it first (EC-VAE: Stop Training).');
        return;
      }
      const config = await pickConfig();
      if (!config) return;
      try {
        const name = JSON.parse((await vscode.workspace.fs.readFile(vscode.Uri.file(config))).toString()).name ?? 'run';
        const r = await client.request('train/start', { configPath: config, runDir: join(runsDir(), String(name)), resume: true });
        active = { runId: r.runId, runDir: r.runDir, status: 'running' };
        DashboardPanel.createOrShow(context.extensionUri, onDashboardMessage, r.runDir);
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
    'ecvae.openDashboard': () => {
      DashboardPanel.createOrShow(context.extensionUri, onDashboardMessage, active?.runDir);
    },
    'ecvae.showBackendInfo': async () => {
      const r = await client.request('initialize', {});
      output.appendLine(`backend ${r.backend.backend}: ${r.backend.reason}`);
      for (const a of r.backend.attempts) output.appendLine(`  ${a.ok ? 'ok  ' : 'fail'} ${a.name}: ${a.detail}`);
      output.show(true);
      void vscode.window.showInformationMessage(`EC-VAE backend: ${r.backend.backend} (${r.backend.reason})`);
    },
    'ecvae.generateSamples': async () => {
      const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: true, defaultUri: vscode.Uri.file(runsDir()), openLabel: 'Use this run or checkpoint', filters: { Checkpoints: ['ckpt'] } });
      if (!picked?.[0]) return;
      const out = join(picked[0].fsPath.endsWith('.ckpt') ? dirname(picked[0].fsPath) : picked[0].fsPath, 'generated-samples.png');
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'EC-VAE: generating samples' }, () => client.request('sample', { checkpoint: picked[0]!.fsPath, out, n: 64 }));
      await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(out));
    },
    'ecvae.restoreImage': async (resource: unknown) => {
      const image = resource instanceof vscode.Uri ? resource : (await vscode.window.showOpenDialog({ filters: { Images: ['png', 'jpg', 'jpeg'] } }))?.[0];
      if (!image) return;
      const tasks = ['inpaint', 'colorize', 'sr', 'denoise'] as const;
      const task = (await vscode.window.showQuickPick([...tasks], { placeHolder: 'Restoration task' })) as (typeof tasks)[number] | undefined;
      if (!task) return;
      const out = image.fsPath.replace(/\.(png|jpe?g)$/i, `.${task}-restored.png`);
      const checkpoint = active?.runDir ?? runsDir();
      try {
        const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `EC-VAE: ${task}`, cancellable: false }, () =>
          client.request('restore', { checkpoint, image: image.fsPath, task, out, ...(task === 'inpaint' ? { mask: 'center' } : {}) }));
        await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(r.out));
      } catch (err) {
        void vscode.window.showErrorMessage(`Restoration failed: ${(err as Error).message}`);
      }
    },
  };

  context.subscriptions.push(
    output, status, diagnostics,
    ...Object.entries(commands).map(([id, f]) => vscode.commands.registerCommand(id, f)),
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel) => {
        DashboardPanel.revive(panel, context.extensionUri, onDashboardMessage, active?.runDir);
      },
    }),
    vscode.workspace.onDidOpenTextDocument((d) => void validate(d)),
    vscode.workspace.onDidSaveTextDocument((d) => void validate(d)),
    ...listeners,
    { dispose: () => void client.dispose() },
  );
  for (const d of vscode.workspace.textDocuments) void validate(d);
  return { client };
}

export function deactivate(): void {
  DashboardPanel.current?.dispose();
}

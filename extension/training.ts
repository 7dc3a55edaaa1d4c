/**
 * Training from VS Code: the one active run, its status-bar item, the dashboard it
 * feeds, and the Train / Resume Training / Stop Training / Open Dashboard commands.
 * Train on a config whose run exists asks first: resume it or start a new run (and, when
 * the config changed since that run was trained, says so). Follows the sidecar's train/*
 * notifications (sidecar/protocol.ts).
 */
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { readRunSnapshot, type SweepSummary } from '../sidecar/runLayout/runFolder.ts';
import type { Notifications, RunStatus } from '../sidecar/protocol.ts';
import { DashboardPanel, type DashboardHost } from './dashboard/panel.ts';
import type { FromDashboard } from './dashboard/messages.ts';
import type { RunsNode, RunsTreeProvider } from './runsTree.ts';
import type { SidecarClient } from './sidecarClient.ts';
import { configRun } from './configRun.ts';
import { prompts } from './prompts.ts';
import { pickConfig } from './templates.ts';
import { requireTrust, workspaceDir } from './workspace.ts';

/** What the API may pass to `ecvae.train` instead of answering the prompt about an existing run. */
export interface TrainCommandOptions {
  existingRun?: 'resume' | 'new';
}

interface ActiveRun {
  runId: string;
  runDir: string;
  status: RunStatus | 'paused';
  /** The calibration warning was shown for this run (once; the dashboard keeps it visible). */
  warnedCalibration?: boolean;
}

export class Training implements vscode.Disposable {
  private active: ActiveRun | undefined;
  private readonly status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 10);
  private readonly listeners: vscode.Disposable[];

  /** What the dashboard panel asks of the extension: its buttons, and a run folder's replay. */
  readonly dashboardHost: DashboardHost = {
    onMessage: (m: FromDashboard): void => {
      const shown = DashboardPanel.current?.runDir;
      if (m.type === 'openSamples' || m.type === 'openRestore') {
        if (shown) void this.panels[m.type](shown);
        return;
      }
      if (m.type === 'pickOverlay') return void this.pickOverlay(shown);
      const run = this.active;
      if (!run) return;
      if (m.type === 'stop') void vscode.commands.executeCommand('ecvae.stopTraining');
      if (m.type === 'pause') void this.client.request('train/pause', { runId: run.runId }).then(() => this.setStatus('paused'));
      if (m.type === 'resume') void this.client.request('train/resume', { runId: run.runId }).then(() => this.setStatus('running'));
    },
    readRun: async (runDir) => readRunSnapshot(runDir),
  };

  constructor(
    private readonly client: SidecarClient,
    private readonly runsTree: RunsTreeProvider,
    private readonly extensionUri: vscode.Uri,
    /** The other panels, for the dashboard's links. */
    private readonly panels: { openSamples(runDir: string): unknown; openRestore(runDir: string): unknown },
  ) {
    this.status.command = 'ecvae.openDashboard';
    this.listeners = [
      client.on('train/progress', (p) => this.onProgress(p)),
      client.on('train/samples', (p) => {
        const panel = DashboardPanel.current;
        if (panel) void panel.post({ type: 'samples', iteration: p.iteration, kind: p.kind, src: panel.src(p.file) });
      }),
      client.on('train/checkpoint', () => runsTree.refresh()),
      client.on('train/finished', (p) => this.onFinished(p)),
    ];
  }

  /** The run folder of the run training now, if any. */
  get activeRunDir(): string | undefined {
    return this.active?.runDir;
  }

  readonly commands = {
    /**
     * From the palette (pick a config), the CodeLens or explorer menu on a *.ecvae.json, or
     * the API with its Uri. A run of the config that can be resumed is not resumed
     * silently: the user picks resume or a new run (`<name>-2`, …), warned when the
     * config changed since that run was trained.
     */
    'ecvae.train': async (resource?: unknown, options?: TrainCommandOptions): Promise<string | undefined> => {
      const config = await this.configToTrain(resource);
      if (!config) return;
      const cr = configRun(config, readFileSync(config, 'utf8'));
      let choice = options?.existingRun;
      if (cr.resumable && cr.run && !choice) {
        const resume = cr.changed ? 'Resume anyway' : 'Resume';
        const fresh = 'New run';
        const at = `iteration ${cr.run.iteration}${cr.run.total ? ` of ${cr.run.total}` : ''}`;
        const answer = cr.changed
          ? await prompts.ask(
              `${basename(config)} changed since run "${basename(cr.runDir)}" was trained (${at}).`,
              `A new run trains the edited config from scratch in ${basename(cr.newRunDir)}. Resuming continues the trained model with the edited settings.`,
              fresh,
              resume,
            )
          : await prompts.ask(
              `Run "${basename(cr.runDir)}" of ${basename(config)} exists (${cr.run.status}, ${at}).`,
              `Resume it from its last checkpoint, or start a new run in ${basename(cr.newRunDir)}?`,
              resume,
              fresh,
            );
        if (!answer) return;
        choice = answer === fresh ? 'new' : 'resume';
      }
      return this.start(config, choice === 'new' ? cr.newRunDir : cr.runDir, choice !== 'new');
    },
    /** Continues the config's run from its last checkpoint (the CodeLens "Resume"); a changed config is confirmed first. */
    'ecvae.resumeTraining': async (resource?: unknown): Promise<string | undefined> => {
      const config = await this.configToTrain(resource);
      if (!config) return;
      const cr = configRun(config, readFileSync(config, 'utf8'));
      if (!cr.resumable) {
        void vscode.window.showInformationMessage(`No checkpoint of ${basename(config)} to resume in ${cr.runDir}; Train starts it.`);
        return;
      }
      if (cr.changed) {
        const answer = await prompts.ask(
          `${basename(config)} changed since run "${basename(cr.runDir)}" was trained.`,
          'Resuming continues the trained model with the edited settings.',
          'Resume anyway',
        );
        if (!answer) return;
      }
      return this.start(config, cr.runDir, true);
    },
    'ecvae.stopTraining': async (): Promise<void> => {
      if (!this.active) {
        void vscode.window.showInformationMessage('No EC-VAE run is training.');
        return;
      }
      await this.client.request('train/stop', { runId: this.active.runId });
    },
    /** The dashboard of a Runs-view item, of a config's run (its Uri: the CodeLens), or of the active run; a sweep's runs overlaid. */
    'ecvae.openDashboard': async (node?: RunsNode | vscode.Uri): Promise<void> => {
      if (node && !(node instanceof vscode.Uri) && node.kind === 'sweep') return this.openSweepDashboard(node.sweep);
      const runDir =
        node instanceof vscode.Uri
          ? configRun(node.fsPath, readFileSync(node.fsPath, 'utf8')).runDir
          : node?.kind === 'run'
            ? node.run.runDir
            : this.active?.runDir;
      DashboardPanel.createOrShow(this.extensionUri, this.dashboardHost, runDir);
    },
  };

  /** The config file to train: the Uri given, or a pick; saved first if it is open with unsaved edits (the sidecar reads the file). */
  private async configToTrain(resource: unknown): Promise<string | undefined> {
    if (!requireTrust('training')) return;
    if (this.active) {
      void vscode.window.showWarningMessage('A run is already training; stop it first (EC-VAE: Stop Training).');
      return;
    }
    const config = resource instanceof vscode.Uri ? resource.fsPath : await pickConfig();
    if (!config) return;
    const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === config);
    if (open?.isDirty) await open.save();
    return config;
  }

  /** Starts training `config` into `runDir` and shows its dashboard; resolves with the run folder. */
  private async start(config: string, runDir: string, resume: boolean): Promise<string | undefined> {
    try {
      const r = await this.client.startTraining({ configPath: config, baseDir: workspaceDir(config), runDir, resume });
      this.active = { runId: r.runId, runDir: r.runDir, status: 'running' };
      this.runsTree.addRunsDir(dirname(r.runDir));
      this.runsTree.refresh();
      // The folder may still say how its last session ended ("finished" at the old target): this one runs now.
      const panel = DashboardPanel.createOrShow(this.extensionUri, this.dashboardHost);
      await panel.show(r.runDir);
      if (this.active?.runId === r.runId) await panel.post({ type: 'status', status: 'running' });
      return r.runDir;
    } catch (err) {
      void vscode.window.showErrorMessage(`Cannot start training: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** A sweep on the dashboard: its first started run, the others' curves overlaid (named by their folders: the grid values and seed). */
  private async openSweepDashboard(sweep: SweepSummary): Promise<void> {
    const started = sweep.runs.filter((r) => r.status !== 'unknown');
    if (!started.length) return void vscode.window.showInformationMessage(`No run of the sweep ${basename(sweep.dir)} has started yet.`);
    const panel = DashboardPanel.createOrShow(this.extensionUri, this.dashboardHost);
    await panel.show(started[0]!.runDir);
    for (const r of started.slice(1)) await panel.post({ type: 'overlay', name: basename(r.runDir), records: readRunSnapshot(r.runDir).records });
  }

  /** Other runs' curves over the dashboard's (any of the runs the Runs view lists). */
  private async pickOverlay(shown: string | undefined): Promise<void> {
    const sweepRuns = this.runsTree.listSweeps().flatMap((sw) => sw.runs.filter((r) => r.status !== 'unknown'));
    const others = [...(await this.runsTree.listRuns()), ...sweepRuns].filter((r) => r.runDir !== shown);
    if (!others.length) return void vscode.window.showInformationMessage('No other run to compare with in the Runs view.');
    const picks = await vscode.window.showQuickPick(
      others.map((r) => ({ label: r.name, description: `${r.status} · iteration ${r.iteration}`, detail: r.runDir, runDir: r.runDir })),
      { placeHolder: 'Runs to overlay on the dashboard', canPickMany: true },
    );
    for (const pick of picks ?? []) {
      const snapshot = readRunSnapshot(pick.runDir);
      // Runs of one config share a name; the folder tells them apart.
      const name = snapshot.name === basename(pick.runDir) ? snapshot.name : `${snapshot.name} (${basename(pick.runDir)})`;
      await DashboardPanel.current?.post({ type: 'overlay', name, records: snapshot.records });
    }
  }

  private setStatus(s: ActiveRun['status'], message?: string): void {
    if (this.active) this.active.status = s;
    void DashboardPanel.current?.post({ type: 'status', status: s, ...(message ? { message } : {}) });
  }

  private onProgress(p: Notifications['train/progress']): void {
    this.status.text = `$(pulse) EC-VAE ${p.metrics.iteration}/${p.total} · ${p.metrics.itPerSec.toFixed(1)} it/s`;
    this.status.show();
    void DashboardPanel.current?.post({ type: 'metrics', records: [p.metrics], total: p.total });
    const run = this.active;
    if (p.metrics.calibrationWarning && run?.runId === p.runId && !run.warnedCalibration) {
      run.warnedCalibration = true;
      void vscode.window.showWarningMessage(`EC-VAE: ${p.metrics.calibrationWarning}`);
    }
  }

  private onFinished(p: Notifications['train/finished']): void {
    this.runsTree.refresh();
    if (this.active?.runId !== p.runId) return;
    this.setStatus(p.status, p.error);
    this.status.text = `EC-VAE ${p.status}`;
    if (p.status === 'failed') void vscode.window.showErrorMessage(`EC-VAE training failed: ${p.error ?? 'unknown error'}`);
    else void vscode.window.showInformationMessage(`EC-VAE training ${p.status} at iteration ${p.iteration}.`);
    this.active = undefined;
  }

  dispose(): void {
    this.status.dispose();
    for (const l of this.listeners) l.dispose();
  }
}

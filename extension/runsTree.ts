/**
 * The "EC-VAE Runs" tree view: run folders with their status and progress, and each
 * run's checkpoints. It lists the `ecvae.runsDirectory` folder and every folder a run was
 * started in from this workspace (a config's output.dir), remembered in workspace state;
 * in a multi-root workspace, the setting's folder of every workspace folder. The listing
 * reads the run folders here, in the extension host, through the engine's run-folder
 * module (no sidecar process starts to show a list). Refreshed on run events and when
 * any run's status.json changes on disk (runs started from the CLI show up too). A sweep
 * folder (`ecvae sweep`, or "EC-VAE: Start Sweep…") is a group with its runs under it.
 */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { RunSummary } from '../sidecar/protocol.ts';
import { listRuns, listSweeps, type SweepSummary } from '../sidecar/runLayout/runFolder.ts';

const RUN_FOLDERS_KEY = 'ecvae.runFolders';

export type RunsNode =
  | { kind: 'run'; run: RunSummary; inSweep?: boolean }
  | { kind: 'sweep'; sweep: SweepSummary }
  | { kind: 'checkpoint'; file: string; run: RunSummary }
  | { kind: 'error'; message: string };

/** A sweep run's state in words: a planned run that has not started is "queued". */
const sweepRunState = (r: RunSummary): string => (r.status === 'unknown' ? 'queued' : r.status);

const STATUS_ICONS: Record<RunSummary['status'], string> = {
  running: 'sync~spin',
  finished: 'pass',
  stopped: 'debug-stop',
  failed: 'error',
  interrupted: 'debug-disconnect',
  unknown: 'question',
};

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly watchers = new Map<string, vscode.FileSystemWatcher>();

  constructor(
    private readonly runsDirs: () => string[],
    private readonly state: vscode.Memento,
  ) {
    for (const dir of this.dirs()) this.watch(dir);
  }

  /** The folders listed, the setting's (one per workspace folder) first. */
  dirs(): string[] {
    return [...new Set([...this.runsDirs(), ...this.state.get<string[]>(RUN_FOLDERS_KEY, [])])];
  }

  /** Lists `dir` from now on (and in later sessions of this workspace). */
  addRunsDir(dir: string): void {
    const remembered = this.state.get<string[]>(RUN_FOLDERS_KEY, []);
    if (remembered.includes(dir)) return;
    // Remembered even when it is the setting's folder now: its runs stay listed if the setting changes.
    void this.state.update(RUN_FOLDERS_KEY, [...remembered, dir]);
    this.watch(dir);
    this.refresh();
  }

  /** Every run in the listed folders. */
  async listRuns(): Promise<RunSummary[]> {
    const seen = new Set<string>();
    return this.dirs()
      .flatMap((dir) => listRuns(dir))
      .filter((r) => !seen.has(r.runDir) && seen.add(r.runDir));
  }

  /** Every sweep in the listed folders. */
  listSweeps(): SweepSummary[] {
    const seen = new Set<string>();
    return this.dirs()
      .flatMap((dir) => listSweeps(dir))
      .filter((s) => !seen.has(s.dir) && seen.add(s.dir));
  }

  /** Watches the folders listed now (after the setting or the workspace folders changed) and refreshes. */
  rewatch(): void {
    for (const dir of this.dirs()) this.watch(dir);
    this.refresh();
  }

  private watch(dir: string): void {
    if (this.watchers.has(dir)) return;
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), '{*/status.json,*/sweep.json,*/*/status.json}'));
    for (const on of [watcher.onDidCreate, watcher.onDidChange, watcher.onDidDelete]) on(() => this.refresh());
    this.watchers.set(dir, watcher);
  }

  /** Fires after every refresh (the extension keeps the Runs view's context key up to date). */
  readonly onDidRefresh = this.changed.event;

  refresh(): void {
    this.changed.fire(undefined);
  }

  async getChildren(node?: RunsNode): Promise<RunsNode[]> {
    if (!node) {
      try {
        const sweeps: RunsNode[] = this.listSweeps().map((sweep) => ({ kind: 'sweep', sweep }));
        return [...sweeps, ...(await this.listRuns()).map((run): RunsNode => ({ kind: 'run', run }))];
      } catch (err) {
        return [{ kind: 'error', message: `Cannot list runs: ${(err as Error).message.split('\n')[0]}` }];
      }
    }
    if (node.kind === 'sweep') return node.sweep.runs.map((run) => ({ kind: 'run', run, inSweep: true }));
    if (node.kind === 'run') return [...node.run.checkpoints].reverse().map((file) => ({ kind: 'checkpoint', file, run: node.run }));
    return [];
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    if (node.kind === 'error') {
      const item = new vscode.TreeItem(node.message, vscode.TreeItemCollapsibleState.None);
      item.iconPath = new vscode.ThemeIcon('warning');
      return item;
    }
    if (node.kind === 'checkpoint') {
      const item = new vscode.TreeItem(basename(node.file), vscode.TreeItemCollapsibleState.None);
      item.contextValue = 'ecvae.checkpoint';
      item.iconPath = new vscode.ThemeIcon('save');
      item.tooltip = node.file;
      return item;
    }
    if (node.kind === 'sweep') {
      const { sweep } = node;
      const counts = new Map<string, number>();
      for (const r of sweep.runs) counts.set(sweepRunState(r), (counts.get(sweepRunState(r)) ?? 0) + 1);
      const item = new vscode.TreeItem(basename(sweep.dir), vscode.TreeItemCollapsibleState.Expanded);
      item.id = `sweep:${sweep.dir}`;
      item.contextValue = 'ecvae.sweep';
      item.description = `sweep of ${sweep.name} · ${sweep.runs.length} runs · ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}`;
      item.tooltip = `${sweep.dir}\nOpen Dashboard (context menu): its runs' curves together\necvae sweep --status ${sweep.dir}\necvae sweep --report ${sweep.dir}`;
      const busy = sweep.runs.some((r) => r.status === 'running');
      item.iconPath = new vscode.ThemeIcon(busy ? 'sync~spin' : counts.get('failed') ? 'error' : 'layers');
      return item;
    }
    const { run } = node;
    const folder = (vscode.workspace.workspaceFolders?.length ?? 0) > 1 ? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(run.runDir)) : undefined;
    const item = new vscode.TreeItem(
      node.inSweep ? basename(run.runDir) : run.name,
      run.checkpoints.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = run.runDir;
    item.contextValue = 'ecvae.run';
    const status = node.inSweep ? sweepRunState(run) : run.status;
    item.description = `${folder ? `${folder.name} · ` : ''}${status} · ${run.iteration}${run.total ? `/${run.total}` : ''} · ${run.checkpoints.length} checkpoint${run.checkpoints.length === 1 ? '' : 's'}`;
    item.tooltip = [run.runDir, run.message].filter(Boolean).join('\n');
    item.iconPath = new vscode.ThemeIcon(node.inSweep && run.status === 'unknown' ? 'clock' : STATUS_ICONS[run.status]);
    item.command = { command: 'ecvae.openDashboard', title: 'Open Dashboard', arguments: [node] };
    return item;
  }

  dispose(): void {
    for (const w of this.watchers.values()) w.dispose();
    this.changed.dispose();
  }
}

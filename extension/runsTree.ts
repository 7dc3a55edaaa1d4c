/**
 * The "EC-VAE Runs" tree view: run folders with their status and progress, and each
 * run's checkpoints. It lists the `ecvae.runsDirectory` folder and every folder a run was
 * started in from this workspace (a config's output.dir), remembered in workspace state. The listing comes from the sidecar
 * (`runs/list`), which also tells an interrupted run from a running one. Refreshed on
 * run events and when any run's status.json changes on disk (runs started from the CLI
 * show up too).
 */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { RunSummary } from '../sidecar/protocol.ts';
import type { SidecarClient } from './sidecarClient.ts';

const RUN_FOLDERS_KEY = 'ecvae.runFolders';

export type RunsNode = { kind: 'run'; run: RunSummary } | { kind: 'checkpoint'; file: string; run: RunSummary } | { kind: 'error'; message: string };

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
    private readonly client: SidecarClient,
    private readonly runsDir: () => string,
    private readonly state: vscode.Memento,
  ) {
    for (const dir of this.dirs()) this.watch(dir);
  }

  /** The folders listed, the setting's first. */
  dirs(): string[] {
    return [...new Set([this.runsDir(), ...this.state.get<string[]>(RUN_FOLDERS_KEY, [])])];
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
    const lists = await Promise.all(this.dirs().map((dir) => this.client.request('runs/list', { dir })));
    return lists.flatMap((l) => l.runs);
  }

  private watch(dir: string): void {
    if (this.watchers.has(dir)) return;
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), '*/status.json'));
    for (const on of [watcher.onDidCreate, watcher.onDidChange, watcher.onDidDelete]) on(() => this.refresh());
    this.watchers.set(dir, watcher);
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  async getChildren(node?: RunsNode): Promise<RunsNode[]> {
    if (!node) {
      try {
        return (await this.listRuns()).map((run) => ({ kind: 'run', run }));
      } catch (err) {
        return [{ kind: 'error', message: `Cannot list runs: ${(err as Error).message.split('\n')[0]}` }];
      }
    }
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
    const { run } = node;
    const item = new vscode.TreeItem(run.name, run.checkpoints.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = run.runDir;
    item.contextValue = 'ecvae.run';
    item.description = `${run.status} · ${run.iteration}${run.total ? `/${run.total}` : ''} · ${run.checkpoints.length} checkpoint${run.checkpoints.length === 1 ? '' : 's'}`;
    item.tooltip = [run.runDir, run.message].filter(Boolean).join('\n');
    item.iconPath = new vscode.ThemeIcon(STATUS_ICONS[run.status]);
    item.command = { command: 'ecvae.openDashboard', title: 'Open Dashboard', arguments: [node] };
    return item;
  }

  dispose(): void {
    for (const w of this.watchers.values()) w.dispose();
    this.changed.dispose();
  }
}

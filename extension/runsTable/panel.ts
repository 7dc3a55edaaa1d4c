/**
 * The runs table ("EC-VAE: Show Runs Table"): one webview panel listing every run the
 * Runs view lists, with status, iteration, key hyper-parameters and last metrics;
 * sortable in the webview; a row opens its dashboard. Created or revealed on demand,
 * revived after a window reload, refreshed whenever the Runs view refreshes. Messages
 * are typed (runsTable/messages.ts) in both directions.
 */
import * as vscode from 'vscode';
import { bundleAssets, panelOptions } from '../panelAssets.ts';
import type { RunsTreeProvider } from '../runsTree.ts';
import { webviewPage } from '../webviewPage.ts';
import { runsTableBody } from './html.ts';
import type { FromRunsTable, ToRunsTable } from './messages.ts';
import { runRows } from './rows.ts';

export const RUNS_TABLE_VIEW_TYPE = 'ecvae.runsTable';

export class RunsTablePanel {
  static current: RunsTablePanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  static createOrShow(extensionUri: vscode.Uri, runsTree: RunsTreeProvider): RunsTablePanel {
    if (RunsTablePanel.current) {
      RunsTablePanel.current.panel.reveal();
      void RunsTablePanel.current.update();
      return RunsTablePanel.current;
    }
    const panel = vscode.window.createWebviewPanel(RUNS_TABLE_VIEW_TYPE, 'EC-VAE Runs', vscode.ViewColumn.Active, panelOptions(extensionUri));
    return (RunsTablePanel.current = new RunsTablePanel(panel, extensionUri, runsTree));
  }

  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, runsTree: RunsTreeProvider): void {
    RunsTablePanel.current = new RunsTablePanel(panel, extensionUri, runsTree);
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly runsTree: RunsTreeProvider,
  ) {
    panel.webview.options = panelOptions(extensionUri);
    panel.webview.html = webviewPage(bundleAssets(panel.webview, extensionUri, 'runsTable'), 'EC-VAE runs', runsTableBody());
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
    panel.webview.onDidReceiveMessage((m: FromRunsTable) => void this.onMessage(m), null, this.disposables);
    this.disposables.push(runsTree.onDidRefresh(() => void this.update()));
  }

  /** Sends the rows as the run folders are now. */
  async update(): Promise<void> {
    const many = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
    const folderOf = (runDir: string): { name: string; path: string } | undefined => {
      const f = many ? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(runDir)) : undefined;
      return f ? { name: f.name, path: f.uri.fsPath } : undefined;
    };
    this.post({ type: 'rows', rows: runRows(await this.runsTree.listRuns(), folderOf) });
  }

  private post(m: ToRunsTable): void {
    void this.panel.webview.postMessage(m);
  }

  private async onMessage(m: FromRunsTable): Promise<void> {
    if (m.type === 'ready' || m.type === 'refresh') return this.update();
    if (m.type === 'open' && typeof m.runDir === 'string') {
      const run = (await this.runsTree.listRuns()).find((r) => r.runDir === m.runDir);
      if (run) await vscode.commands.executeCommand('ecvae.openDashboard', { kind: 'run', run });
    }
  }

  dispose(): void {
    if (RunsTablePanel.current === this) RunsTablePanel.current = undefined;
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

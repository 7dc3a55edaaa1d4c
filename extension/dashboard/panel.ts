/**
 * The training dashboard panel: one webview panel, created or revealed on demand,
 * revived after a window reload (WebviewPanelSerializer; the webview restores its own
 * state and the run is replayed from its folder, read by the sidecar), disposed cleanly.
 * Messages are typed (dashboard/messages.ts) in both directions.
 */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { bundleAssets, panelOptions } from '../panelAssets.ts';
import type { RunSnapshot } from '../../sidecar/protocol.ts';
import { dashboardHtml } from './html.ts';
import type { FromDashboard, ToDashboard } from './messages.ts';
import { replayMessages } from './replay.ts';

/** What the panel needs from the extension: where its messages go, and the sidecar's reading of a run folder. */
export interface DashboardHost {
  onMessage(m: FromDashboard): void;
  readRun(runDir: string): Promise<RunSnapshot>;
}

export const DASHBOARD_VIEW_TYPE = 'ecvae.dashboard';

export class DashboardPanel {
  static current: DashboardPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** The run the dashboard shows. */
  runDir: string | undefined;

  /** Shows the dashboard (creating it if needed) for the run in `runDir`, replaying its folder. */
  static createOrShow(extensionUri: vscode.Uri, host: DashboardHost, runDir?: string): DashboardPanel {
    if (DashboardPanel.current) {
      DashboardPanel.current.panel.reveal(vscode.ViewColumn.Beside);
    } else {
      const panel = vscode.window.createWebviewPanel(
        DASHBOARD_VIEW_TYPE,
        'EC-VAE Training',
        vscode.ViewColumn.Beside,
        DashboardPanel.webviewOptions(extensionUri),
      );
      DashboardPanel.current = new DashboardPanel(panel, extensionUri, host);
    }
    if (runDir) void DashboardPanel.current.show(runDir);
    return DashboardPanel.current;
  }

  /** After a window reload: the webview restores its saved state; re-attach and refresh from disk. */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, host: DashboardHost, runDir?: string): DashboardPanel {
    DashboardPanel.current = new DashboardPanel(panel, extensionUri, host);
    if (runDir) void DashboardPanel.current.show(runDir);
    return DashboardPanel.current;
  }

  static webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    // Sample grids live in run folders inside the workspace.
    return panelOptions(
      extensionUri,
      (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri),
    );
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly host: DashboardHost,
  ) {
    panel.webview.options = DashboardPanel.webviewOptions(extensionUri);
    panel.webview.html = dashboardHtml(bundleAssets(panel.webview, extensionUri, 'dashboard'));
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
    // The walkthrough's "Read the dashboard" step completes on this key.
    void vscode.commands.executeCommand('setContext', 'ecvae.dashboardShown', true);
    panel.webview.onDidReceiveMessage(
      (m: FromDashboard) => {
        // Messages posted before the page's script listens can be lost: a page that says it is ready gets the run again.
        if (m.type === 'ready' && this.runDir) void this.show(this.runDir);
        host.onMessage(m);
      },
      null,
      this.disposables,
    );
  }

  /**
   * Points the dashboard at a run folder and replays what is in it. A run that has only
   * just been started may have no folder yet: the panel then starts empty and live
   * notifications fill it.
   */
  async show(runDir: string): Promise<void> {
    this.runDir = runDir;
    let messages: ToDashboard[];
    try {
      messages = replayMessages(await this.host.readRun(runDir), (file) => this.src(file));
    } catch {
      messages = [{ type: 'reset', run: { runDir, name: basename(runDir), total: 0 } }];
    }
    for (const m of messages) await this.post(m);
  }

  /** Webview URI for a sample PNG on disk (the run folder must be a local resource root). */
  src(file: string): string {
    return this.panel.webview.asWebviewUri(vscode.Uri.file(file)).toString();
  }

  post(m: ToDashboard): Thenable<boolean> {
    return this.panel.webview.postMessage(m);
  }

  dispose(): void {
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

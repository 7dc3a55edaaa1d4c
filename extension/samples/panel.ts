/**
 * The samples panel for "Generate Samples": one webview per checkpoint (createOrShow /
 * revive), a grid of one-step samples beside the MCMC-refined ones with the time per
 * sample of each, seed and n controls, re-roll, a latent interpolation between two chosen
 * samples, and Save grid (written into the run folder and opened).
 * Messages are typed (samples/messages.ts) in both directions.
 */
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { bundleAssets, panelOptions } from '../panelAssets.ts';
import type { SidecarClient } from '../sidecarClient.ts';
import { webviewPage } from '../webviewPage.ts';
import { samplesBody } from './html.ts';
import { gridFileName, interpolate, type FromSamplesPanel, type SamplesSource, type ToSamplesPanel } from './messages.ts';

export const SAMPLES_VIEW_TYPE = 'ecvae.samples';

/** The run folder of a checkpoint (a run folder is its own). */
const runDirOf = (checkpoint: string): string => (checkpoint.endsWith('.ckpt') ? dirname(dirname(checkpoint)) : checkpoint);

export class SamplesPanel {
  private static readonly open = new Map<string, SamplesPanel>();
  private readonly disposables: vscode.Disposable[] = [];

  static createOrShow(client: SidecarClient, extensionUri: vscode.Uri, checkpoint: string): SamplesPanel {
    const existing = SamplesPanel.open.get(checkpoint);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const source = { name: basename(runDirOf(checkpoint)), checkpoint };
    const panel = vscode.window.createWebviewPanel(SAMPLES_VIEW_TYPE, `Samples: ${source.name}`, vscode.ViewColumn.Active, panelOptions(extensionUri));
    return new SamplesPanel(panel, client, extensionUri, source);
  }

  /** After a window reload: the webview saved the checkpoint it was for. */
  static revive(panel: vscode.WebviewPanel, client: SidecarClient, extensionUri: vscode.Uri, state: unknown): void {
    const source = (state as { source?: SamplesSource } | undefined)?.source;
    if (typeof source?.checkpoint !== 'string') {
      panel.dispose();
      return;
    }
    new SamplesPanel(panel, client, extensionUri, source);
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly client: SidecarClient,
    extensionUri: vscode.Uri,
    private readonly source: SamplesSource,
  ) {
    SamplesPanel.open.set(source.checkpoint, this);
    // Samples arrive as data: URLs; only the panel's own script and style are loaded from disk.
    panel.webview.options = panelOptions(extensionUri);
    panel.webview.html = webviewPage(bundleAssets(panel.webview, extensionUri, 'samples'), `Samples: ${source.name}`, samplesBody());
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
    panel.webview.onDidReceiveMessage((m: FromSamplesPanel) => void this.onMessage(m), null, this.disposables);
  }

  private post(m: ToSamplesPanel): void {
    void this.panel.webview.postMessage(m);
  }

  private async onMessage(m: FromSamplesPanel): Promise<void> {
    const checkpoint = this.source.checkpoint;
    try {
      switch (m.type) {
        case 'ready':
          return this.post({ type: 'init', source: this.source });
        case 'generate': {
          const outcome = await this.client.request('sample', { checkpoint, n: m.form.n, seed: m.form.seed, mcmcSteps: m.form.mcmcSteps, previews: true });
          return this.post({ type: 'samples', outcome, form: m.form });
        }
        case 'interpolate': {
          const r = await this.client.request('sample', { checkpoint, latents: interpolate(m.from, m.to), previews: true });
          return this.post({ type: 'interpolation', images: r.previews?.oneStep ?? [] });
        }
        case 'save': {
          // The same seed and n draw the same samples: the grid is the one on screen.
          const out = join(runDirOf(checkpoint), gridFileName(m.form));
          await this.client.request('sample', { checkpoint, out, n: m.form.n, seed: m.form.seed, mcmcSteps: m.form.mcmcSteps });
          this.post({ type: 'saved', file: out });
          await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(out), vscode.ViewColumn.Beside);
          return;
        }
      }
    } catch (err) {
      this.post({ type: 'error', message: (err as Error).message });
    }
  }

  dispose(): void {
    if (SamplesPanel.open.get(this.source.checkpoint) === this) SamplesPanel.open.delete(this.source.checkpoint);
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

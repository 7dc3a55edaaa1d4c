/**
 * The restoration panel: one webview per image (createOrShow/revive, as the dashboard),
 * where a user picks a checkpoint, a task and its parameters (painting the inpainting
 * mask), watches the Langevin chain's current estimates stream in, compares the posterior
 * samples with A+y and the baselines (PSNR/SSIM against a reference), and saves one.
 * Messages are typed (restore/messages.ts) in both directions.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { bundleAssets, panelOptions } from '../panelAssets.ts';
import type { RestoreOutcome } from '../../sidecar/protocol.ts';
import type { RunsTreeProvider } from '../runsTree.ts';
import { RequestCancelledError, type SidecarClient } from '../sidecarClient.ts';
import { webviewPage } from '../webviewPage.ts';
import { encodeMask, maskFileOf, readMask } from './maskFile.ts';
import { restoreRequest, type CheckpointChoice, type FromRestorePanel, type RestoreForm, type ToRestorePanel } from './messages.ts';
import { restoreBody } from './html.ts';

export const RESTORE_VIEW_TYPE = 'ecvae.restore';
const LAST_CHECKPOINT_KEY = 'ecvae.restore.lastCheckpoint';

/** What the panel needs from the extension. */
export interface RestoreHost {
  client: SidecarClient;
  runsTree: RunsTreeProvider;
  state: vscode.Memento;
  extensionUri: vscode.Uri;
}

export class RestorePanel {
  private static readonly open = new Map<string, RestorePanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private abort: AbortController | undefined;
  private outcome: RestoreOutcome | undefined;
  private form: RestoreForm | undefined;
  private requests = 0;

  /** Shows the panel of `image` (creating it if needed). */
  static createOrShow(host: RestoreHost, image: vscode.Uri): RestorePanel {
    const existing = RestorePanel.open.get(image.fsPath);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      RESTORE_VIEW_TYPE,
      `Restore ${basename(image.fsPath)}`,
      vscode.ViewColumn.Active,
      RestorePanel.options(host, image),
    );
    return new RestorePanel(panel, host, image);
  }

  /** From the dashboard: an image to restore with the run `checkpoint` (then the panel's pre-selected checkpoint). */
  static async pickImageAndShow(host: RestoreHost, checkpoint: string): Promise<void> {
    const image = (await vscode.window.showOpenDialog({ filters: { Images: ['png', 'jpg', 'jpeg'] }, openLabel: 'Restore' }))?.[0];
    if (!image) return;
    await host.state.update(LAST_CHECKPOINT_KEY, checkpoint);
    RestorePanel.createOrShow(host, image);
  }

  /** After a window reload: the webview saved the image it was for. */
  static revive(panel: vscode.WebviewPanel, host: RestoreHost, state: unknown): void {
    const path = (state as { image?: { path?: unknown } } | undefined)?.image?.path;
    if (typeof path !== 'string') {
      panel.dispose(); // nothing to restore it from
      return;
    }
    new RestorePanel(panel, host, vscode.Uri.file(path));
  }

  private static options(host: RestoreHost, image: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return panelOptions(host.extensionUri, [vscode.Uri.file(join(image.fsPath, '..'))]);
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly host: RestoreHost,
    readonly image: vscode.Uri,
  ) {
    RestorePanel.open.set(image.fsPath, this);
    panel.webview.options = RestorePanel.options(host, image);
    panel.webview.html = webviewPage(bundleAssets(panel.webview, host.extensionUri, 'restore'), `Restore ${basename(image.fsPath)}`, restoreBody());
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
    panel.webview.onDidReceiveMessage((m: FromRestorePanel) => void this.onMessage(m), null, this.disposables);
  }

  private post(m: ToRestorePanel): void {
    void this.panel.webview.postMessage(m);
  }

  /** Runs and their checkpoints, newest first within a run. */
  private async checkpoints(): Promise<CheckpointChoice[]> {
    const runs = (await this.host.runsTree.listRuns()).filter((r) => r.checkpoints.length);
    return runs.flatMap((r) => [
      { label: `${r.name} (latest, iteration ${r.iteration})`, path: r.runDir },
      ...[...r.checkpoints].reverse().map((c) => ({ label: `${r.name} / ${basename(c)}`, path: c })),
    ]);
  }

  private async onMessage(m: FromRestorePanel): Promise<void> {
    switch (m.type) {
      case 'ready': {
        const last = this.host.state.get<string>(LAST_CHECKPOINT_KEY);
        const mask = readMask(this.image.fsPath);
        const image = { path: this.image.fsPath, src: this.panel.webview.asWebviewUri(this.image).toString(), name: basename(this.image.fsPath) };
        this.post({ type: 'init', image, checkpoints: await this.checkpoints(), ...(last ? { form: { checkpoint: last } } : {}), ...(mask ? { mask } : {}) });
        return;
      }
      case 'cancel':
        this.abort?.abort();
        return;
      case 'restore':
        return this.restore(m.form, m.mask);
      case 'save':
        return this.save(m.sample, m.saveAs);
    }
  }

  private async restore(form: RestoreForm, mask?: { width: number; height: number; bits: number[] }): Promise<void> {
    this.abort?.abort();
    const abort = (this.abort = new AbortController());
    ++this.requests;
    let maskFile: string | undefined;
    try {
      if (form.task === 'inpaint' && mask) {
        // A painted mask is kept beside the image (reused next time, readable by `ecvae restore --mask`); a preset is not.
        maskFile = form.maskPreset === 'painted' ? maskFileOf(this.image.fsPath) : join(tmpdir(), `ecvae-mask-${process.pid}-${this.requests}.png`);
        writeFileSync(maskFile, encodeMask(mask.bits, mask.width, mask.height));
      }
      void this.host.state.update(LAST_CHECKPOINT_KEY, form.checkpoint);
      this.form = form;
      // The current estimates come as this request's progress (the client gives it a token of its own).
      this.outcome = await this.host.client.request('restore', restoreRequest(this.image.fsPath, form, maskFile), abort.signal, (f) =>
        this.post({ type: 'progress', step: f.step, steps: f.steps, image: f.image }),
      );
      this.post({ type: 'result', outcome: this.outcome });
    } catch (err) {
      this.post({ type: 'error', message: err instanceof RequestCancelledError ? 'Cancelled.' : (err as Error).message });
    } finally {
      // A preset's mask file served this request only.
      if (maskFile && form.maskPreset !== 'painted') rmSync(maskFile, { force: true });
      if (this.abort === abort) this.abort = undefined;
    }
  }

  /** Writes posterior sample `i` as a PNG (beside the image, or where Save As says) and opens it. */
  private async save(i: number, saveAs: boolean): Promise<void> {
    const url = this.outcome?.previews?.samples[i];
    if (!url || !this.form) return this.post({ type: 'error', message: 'Nothing to save yet: restore first.' });
    const suggested = vscode.Uri.file(this.image.fsPath.replace(/\.(png|jpe?g)$/i, '') + `.${this.form.task}-restored.png`);
    const target = saveAs ? await vscode.window.showSaveDialog({ defaultUri: suggested, filters: { PNG: ['png'] } }) : suggested;
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'));
    this.post({ type: 'saved', file: target.fsPath });
    await vscode.commands.executeCommand('vscode.open', target, vscode.ViewColumn.Beside);
  }

  dispose(): void {
    this.abort?.abort();
    if (RestorePanel.open.get(this.image.fsPath) === this) RestorePanel.open.delete(this.image.fsPath);
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

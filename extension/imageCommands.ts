/**
 * Commands that use a trained model: Generate Samples, Restore Image… and Fit Flow Prior, each on a
 * checkpoint picked from the Runs tree (or the active run), under a cancellable
 * progress notification. The restoration tasks come from the protocol's task table.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { RESTORATION_TASKS, TASK_NAMES, type FitPriorParams, type Task, type TaskParams } from '../sidecar/protocol.ts';
import { configRun } from './configRun.ts';
import type { RunsNode, RunsTreeProvider } from './runsTree.ts';
import type { SidecarClient } from './sidecarClient.ts';
import { RestorePanel, type RestoreHost } from './restore/panel.ts';
import { SamplesPanel } from './samples/panel.ts';
import { cancellable, requireTrust } from './workspace.ts';

/** What the API may pass to `ecvae.restoreImage` instead of answering its pickers. */
export interface RestoreCommandOptions {
  task: Task;
  checkpoint?: string;
  params?: TaskParams;
}

function isRestoreOptions(v: unknown): v is RestoreCommandOptions {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && TASK_NAMES.includes((v as { task?: Task }).task as Task);
}

export function imageCommands(client: SidecarClient, runsTree: RunsTreeProvider, activeRunDir: () => string | undefined, panelHost: RestoreHost) {
  /** The run (or checkpoint) to use: the tree item clicked, else the active run, else a pick among runs with checkpoints. */
  const pickCheckpoint = async (node?: RunsNode | vscode.Uri): Promise<string | undefined> => {
    // A config (the CodeLens): its run.
    if (node instanceof vscode.Uri) return configRun(node.fsPath, readFileSync(node.fsPath, 'utf8')).runDir;
    if (node?.kind === 'checkpoint') return node.file;
    if (node?.kind === 'run') return node.run.runDir;
    const active = activeRunDir();
    if (active) return active;
    const usable = (await runsTree.listRuns()).filter((r) => r.checkpoints.length);
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

  return {
    /** Opens the samples panel of a run or checkpoint (from the Runs tree, the active run, or a pick). */
    'ecvae.generateSamples': async (node?: RunsNode | vscode.Uri): Promise<void> => {
      if (!requireTrust('sampling')) return;
      const checkpoint = await pickCheckpoint(node);
      if (checkpoint) SamplesPanel.createOrShow(client, panelHost.extensionUri, checkpoint);
    },
    /**
     * From the explorer's context menu (the image; VS Code adds the selection as a second
     * argument), the palette, or the API with a RestoreCommandOptions object as the second
     * argument, which skips the pickers. Resolves with the written file, if any.
     */
    'ecvae.restoreImage': async (resource?: unknown, options?: unknown): Promise<string | undefined> => {
      if (!requireTrust('restoration')) return;
      const image = resource instanceof vscode.Uri ? resource : (await vscode.window.showOpenDialog({ filters: { Images: ['png', 'jpg', 'jpeg'] } }))?.[0];
      if (!image) return;
      const given = isRestoreOptions(options) ? options : undefined;
      // A user gets the restoration panel; the API (options given) restores directly.
      if (!given) {
        RestorePanel.createOrShow(panelHost, image);
        return undefined;
      }
      const task = given.task;
      const out = image.fsPath.replace(/\.(png|jpe?g)$/i, `.${task}-restored.png`);
      try {
        const checkpoint = given.checkpoint ?? (await pickCheckpoint());
        if (!checkpoint) return;
        const taskParams = { ...RESTORATION_TASKS[task].defaults, ...(task === 'inpaint' ? { mask: 'center' } : {}), ...given.params };
        const params = { checkpoint, image: image.fsPath, task, out, ...taskParams };
        const r = await cancellable(`EC-VAE: ${task}`, (signal) => client.request('restore', params, signal));
        if (!r) return;
        // Before | after: both in VS Code's image preview, side by side (a diff editor would show PNGs as binary text).
        await vscode.commands.executeCommand('vscode.openWith', image, 'imagePreview.previewEditor', vscode.ViewColumn.Active);
        await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(out), 'imagePreview.previewEditor', vscode.ViewColumn.Beside);
        void vscode.window.showInformationMessage(`EC-VAE ${task}: ${basename(image.fsPath)} -> ${basename(out)} (${r.secondsPerImage.toFixed(2)} s).`);
        return out;
      } catch (err) {
        void vscode.window.showErrorMessage(`Restoration failed: ${(err as Error).message}`);
      }
    },
    /**
     * Fits a flow prior post hoc on a finished run (docs/flows.md): a new run folder
     * `<run>-flowprior`, listed in the Runs tree, with Generate Samples offered on it.
     * Resolves with that folder, if one was written. The API may pass the fit's settings as a second argument.
     */
    'ecvae.fitFlowPrior': async (node?: RunsNode, options?: Omit<FitPriorParams, 'source'>): Promise<string | undefined> => {
      if (!requireTrust('fitting a flow prior')) return;
      const source = await pickCheckpoint(node);
      if (!source) return;
      try {
        const r = await cancellable('EC-VAE: fitting a flow prior', (signal) => client.request('prior/fit', { ...options, source }, signal));
        if (!r) return;
        runsTree.refresh();
        const action = 'Generate Samples';
        const picked = await vscode.window.showInformationMessage(
          `Flow prior fitted: ${basename(r.runDir)}. Held-out −log p(μ) ${r.heldOutNll.toFixed(2)} nats against ${r.gaussianHeldOutNll.toFixed(2)} for N(0, I).`,
          action,
        );
        if (picked === action) SamplesPanel.createOrShow(client, panelHost.extensionUri, r.runDir);
        return r.runDir;
      } catch (err) {
        void vscode.window.showErrorMessage(`Fitting a flow prior failed: ${(err as Error).message}`);
      }
    },
  };
}

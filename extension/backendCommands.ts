/**
 * The way to the GPU from VS Code: "EC-VAE: Install GPU Backend…" (backendInstall.ts, under
 * a cancellable progress notification) and "EC-VAE: Show Backend Info", which says which
 * backend runs, why, and why each faster one did not.
 */
import * as vscode from 'vscode';
import tfjsCore from '@tensorflow/tfjs-core/package.json' with { type: 'json' };
import type { Methods } from '../sidecar/protocol.ts';
import { BACKEND_PACKAGES, backendsRoot, installBackend, type BackendVariant, type InstallResult } from './backendInstall.ts';
import type { SidecarClient } from './sidecarClient.ts';

type BackendReport = Methods['initialize']['result']['backend'];

/** What the API (tests) may pass instead of answering the picker. */
export interface InstallCommandOptions {
  variant?: BackendVariant;
  /** npm's executable (default `npm` on PATH). */
  npm?: string;
}

const INSTALL = 'Install GPU Backend…';

/** The faster backends that did not start, each with why and, where we can help, what to do. */
export function explainBackend(r: BackendReport): { summary: string; lines: string[]; installable: boolean } {
  const chosen = r.attempts.find((a) => a.ok && a.name === r.backend);
  const failed = r.attempts.filter((a) => !a.ok);
  const native = failed.filter((a) => a.name === 'tensorflow-gpu' || a.name === 'tensorflow');
  const installable = native.some((a) => /not installed/.test(a.detail));
  const lines = [`backend ${r.backend}: ${r.reason}`, `tfjs ${r.tfjsVersion}${r.threads ? `, ${r.threads} WASM threads, SIMD ${r.simd}` : ''}`];
  for (const a of r.attempts) lines.push(`  ${a.ok ? 'ok  ' : 'fail'} ${a.name}: ${a.detail}`);
  if (installable)
    lines.push(`  next: "EC-VAE: ${INSTALL}" installs ${BACKEND_PACKAGES.gpu} (CUDA) or ${BACKEND_PACKAGES.cpu} (native CPU) for this extension.`);
  const why = failed.map((a) => `${a.name}: ${a.detail}`).join('; ');
  const summary = `EC-VAE backend: ${r.backend} — ${chosen?.detail ?? r.reason}.${failed.length ? ` Faster ones did not start (${why}).` : ''}`;
  return { summary, lines, installable };
}

export function backendCommands(client: SidecarClient, output: vscode.OutputChannel, globalStorage: vscode.Uri) {
  return {
    'ecvae.showBackendInfo': async (): Promise<BackendReport> => {
      const r = (await client.request('initialize', {})).backend;
      const { summary, lines, installable } = explainBackend(r);
      for (const l of lines) output.appendLine(l);
      void vscode.window.showInformationMessage(summary, ...(installable ? [INSTALL] : []), 'Show Log').then((picked) => {
        if (picked === INSTALL) void vscode.commands.executeCommand('ecvae.installGpuBackend');
        if (picked === 'Show Log') output.show(true);
      });
      return r;
    },
    /**
     * Installs the native backend into global storage. Resolves with the outcome (the
     * API and the tests read it); the user sees a notification either way.
     */
    'ecvae.installGpuBackend': async (options?: InstallCommandOptions): Promise<InstallResult | undefined> => {
      const variant =
        options?.variant ??
        (
          await vscode.window.showQuickPick(
            [
              {
                label: 'GPU: CUDA on an NVIDIA card',
                description: BACKEND_PACKAGES.gpu,
                detail: 'Linux x64 with CUDA 11.2 and cuDNN 8.1.',
                variant: 'gpu' as const,
              },
              {
                label: 'Native CPU: libtensorflow',
                description: BACKEND_PACKAGES.cpu,
                detail: 'Usually faster than WASM on many cores.',
                variant: 'cpu' as const,
              },
            ],
            { placeHolder: 'Backend to install for EC-VAE Studio' },
          )
        )?.variant;
      if (!variant) return undefined;
      const pkg = BACKEND_PACKAGES[variant];
      if (variant === 'gpu' && !(process.platform === 'linux' && process.arch === 'x64')) {
        const result: InstallResult = {
          ok: false,
          reason: `${pkg} exists only for Linux x64 (this is ${process.platform} ${process.arch}).`,
          next: `Install the native CPU backend (${BACKEND_PACKAGES.cpu}) instead, or train on a Linux machine with an NVIDIA GPU over Remote-SSH.`,
          output: '',
        };
        void vscode.window.showErrorMessage(`${result.reason} ${result.next}`);
        return result;
      }
      output.appendLine(`installing ${pkg}@${tfjsCore.version} into ${backendsRoot(globalStorage.fsPath)}`);
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `EC-VAE: installing ${pkg}`, cancellable: true },
        (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          return installBackend({
            root: backendsRoot(globalStorage.fsPath),
            variant,
            version: tfjsCore.version,
            ...(options?.npm ? { npm: options.npm } : {}),
            signal: abort.signal,
            onLine: (line) => {
              output.appendLine(line);
              progress.report({ message: line.replace(/^npm (http|info|notice)\s*/, '').slice(0, 90) });
            },
          });
        },
      );
      if ('cancelled' in result) {
        void vscode.window.showInformationMessage(`EC-VAE: installing ${pkg} was cancelled; nothing was installed.`);
      } else if (!result.ok) {
        output.appendLine(`install failed: ${result.reason}\n${result.output}`);
        void vscode.window.showErrorMessage(`EC-VAE: ${result.reason} ${result.next}`, 'Show Log').then((p) => p && output.show(true));
      } else {
        const restarted = await client.restartWhenIdle();
        const when = restarted ? 'from the next command' : 'from the next run (the run training now keeps its backend)';
        output.appendLine(`installed ${pkg} in ${result.folder}`);
        void vscode.window.showInformationMessage(`EC-VAE: installed ${pkg}; training uses it ${when}.`, 'Show Backend Info').then((p) => {
          if (p) void vscode.commands.executeCommand('ecvae.showBackendInfo');
        });
      }
      return result;
    },
  };
}

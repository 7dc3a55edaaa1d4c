/**
 * "EC-VAE: Start Sweep…": a config, its seeds and one or two fields to vary, trained as a
 * local sweep (docs/sweeps.md) into <runsDirectory>/<config name>-sweep, which the Runs
 * view shows as a group. When the sweep ends, "Write Report" evaluates its runs.
 *
 * It spawns the CLI (`dist/cli.js sweep ... --json`) rather than asking the sidecar,
 * because the CLI's sweep is the one implementation of the queue, the resume of
 * interrupted runs and the clean stop (each run an `ecvae train` process of its own), and
 * it needs nothing the sidecar holds: the sidecar is one process built around one
 * interactive run and its live metrics, a sweep must not end when the extension restarts
 * that process, and the Runs view reads every run's state from its folder anyway. Cancel
 * sends the sweep SIGINT, as Ctrl-C does: every run stops with a checkpoint.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { RunsTreeProvider } from './runsTree.ts';
import { pickConfig } from './templates.ts';
import { requireTrust, runsDirs } from './workspace.ts';

/** The CLI of this extension's installation. */
const cliOf = (extensionPath: string): string => join(extensionPath, 'dist', 'cli.js');

interface CliResult {
  code: number | null;
  json?: Record<string, unknown>;
}

/** Runs the CLI to its end with --json; stderr lines go to `onLine`; aborting sends SIGINT once. */
function runCli(extensionPath: string, args: string[], onLine: (line: string) => void, signal?: AbortSignal): Promise<CliResult> {
  return new Promise((resolveRun) => {
    // Inside VS Code process.execPath is Electron: ELECTRON_RUN_AS_NODE makes it (and the sweep's children) a plain Node.
    const child = spawn(process.execPath, [cliOf(extensionPath), ...args, '--json'], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      const lines = err.split('\n');
      err = lines.pop()!;
      for (const l of lines) if (l.trim()) onLine(l);
    });
    const stop = (): void => void child.kill('SIGINT');
    signal?.addEventListener('abort', stop, { once: true });
    child.on('error', (e) => onLine(`could not start the EC-VAE CLI: ${e.message}`));
    child.on('close', (code) => {
      signal?.removeEventListener('abort', stop);
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(out.trim().split('\n').pop() ?? '') as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      resolveRun({ code, ...(json ? { json } : {}) });
    });
  });
}

const SEEDS = /^\s*\d+(-\d+)?(\s*,\s*\d+(-\d+)?)*\s*$/;
const FIELD = /^[A-Za-z0-9_$]+(\.[A-Za-z0-9_$]+)*=\S+$/;

/** "calibration.lambdaInit=10,30 calibration.epsilon=0.001,0.01": one or two fields, each path=values. */
export function parseFields(text: string): string[] | string {
  const parts = text.trim().split(/\s+/).filter(Boolean);
  if (parts.length < 1 || parts.length > 2) return 'Give one or two fields, separated by a space, e.g. calibration.lambdaInit=10,30';
  const bad = parts.find((p) => !FIELD.test(p));
  return bad ? `"${bad}" is not path=value1,value2 (e.g. calibration.epsilon=0.001,0.01)` : parts;
}

export function sweepCommands(extensionPath: string, runsTree: RunsTreeProvider, output: vscode.OutputChannel): Record<string, (...args: never[]) => unknown> {
  return {
    'ecvae.startSweep': async (resource?: vscode.Uri) => {
      if (!requireTrust('Starting a sweep')) return;
      const config = resource instanceof vscode.Uri ? resource.fsPath : await pickConfig();
      if (!config) return;
      const seeds = await vscode.window.showInputBox({
        title: 'EC-VAE sweep: seeds',
        prompt: 'Seeds to train each grid point with (e.g. 0,1,2 or 0-4)',
        value: '0,1,2',
        validateInput: (v) => (SEEDS.test(v) ? undefined : 'Seeds are whole numbers separated by commas, or a range like 0-4'),
      });
      if (seeds === undefined) return;
      const fieldsText = await vscode.window.showInputBox({
        title: 'EC-VAE sweep: fields to vary',
        prompt: 'One or two config fields and their values (path=v1,v2), separated by a space',
        placeHolder: 'calibration.lambdaInit=10,30 calibration.epsilon=0.001,0.01',
        validateInput: (v) => {
          const r = parseFields(v);
          return typeof r === 'string' ? r : undefined;
        },
      });
      if (fieldsText === undefined) return;
      const fields = parseFields(fieldsText) as string[];
      const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(config));
      // runsDirs() has one folder per workspace folder, in their order.
      const runsDir = runsDirs()[folder?.index ?? 0]!;
      const out = join(runsDir, `${basename(config).replace(/\.ecvae\.json$/, '')}-sweep`);
      runsTree.addRunsDir(dirname(out));
      const args = ['sweep', config, '--seeds', seeds.replace(/\s+/g, ''), ...fields.flatMap((f) => ['--set', f]), '--out', out, '--executor', 'local'];
      output.appendLine(`ecvae ${args.join(' ')}`);
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `EC-VAE sweep ${basename(out)}`, cancellable: true },
        (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          return runCli(
            extensionPath,
            args,
            (line) => {
              output.appendLine(line);
              progress.report({ message: line.trim() });
              runsTree.refresh();
            },
            abort.signal,
          );
        },
      );
      runsTree.refresh();
      const json = result.json;
      if (!json || json.ok !== true) {
        const stopped = result.code === 130 || json?.stopped === true;
        const message = stopped
          ? `EC-VAE sweep stopped; every run kept its checkpoint. Start the same sweep again to resume.`
          : `EC-VAE sweep failed: ${String(json?.error ?? `the CLI exited with ${result.code}; see the EC-VAE output`)}`;
        void (stopped ? vscode.window.showWarningMessage(message) : vscode.window.showErrorMessage(message));
        return;
      }
      const runs = (json.runs as unknown[] | undefined)?.length ?? 0;
      const choice = await vscode.window.showInformationMessage(`EC-VAE sweep finished: ${runs} runs in ${out}.`, 'Write Report');
      if (choice !== 'Write Report') return;
      const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'EC-VAE sweep report' }, () =>
        runCli(extensionPath, ['sweep', '--report', out], (line) => output.appendLine(line)),
      );
      const md = join(out, 'report.md');
      if (report.json?.ok === true && existsSync(md)) await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(md));
      else void vscode.window.showErrorMessage(`EC-VAE sweep report failed: ${String(report.json?.error ?? 'see the EC-VAE output')}`);
    },
  };
}

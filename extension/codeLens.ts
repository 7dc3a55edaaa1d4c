/**
 * CodeLens on an open *.ecvae.json, above its first line: Train; and when a run of the
 * config exists, Resume (with its iteration), Open Dashboard and Samples. Read from the
 * run folder here (configRun.ts): showing the lenses starts no sidecar.
 */
import * as vscode from 'vscode';
import { configRun } from './configRun.ts';

export const CODELENS_SELECTOR: vscode.DocumentSelector = [{ scheme: 'file', pattern: '**/*.ecvae.json' }];

export class ConfigCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  /** Runs started, stopped or checkpointed: the lenses follow. */
  refresh(): void {
    this.changed.fire();
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const cr = configRun(doc.uri.fsPath, doc.getText());
    const top = new vscode.Range(0, 0, 0, 0);
    const lens = (title: string, command: string, tooltip: string): vscode.CodeLens =>
      new vscode.CodeLens(top, { title, command, tooltip, arguments: [doc.uri] });
    const lenses = [lens('$(play) Train', 'ecvae.train', cr.resumable ? 'Train this config: resume its run or start a new one' : 'Train this config')];
    if (cr.run) {
      // Resume trains to the config's iterations (which may have been raised since the run's target).
      const target = cr.iterations ?? cr.run.total;
      const at = `${cr.run.iteration}${target ? `/${target}` : ''}`;
      if (cr.resumable) {
        const changed = cr.changed ? ' (config changed since)' : '';
        lenses.push(lens(`$(debug-continue) Resume from ${at}${changed}`, 'ecvae.resumeTraining', `Continue ${cr.runDir} from its last checkpoint`));
      }
      lenses.push(lens('$(graph-line) Open Dashboard', 'ecvae.openDashboard', `The curves and sample grids of ${cr.runDir}`));
      if (cr.resumable) lenses.push(lens('$(symbol-color) Samples', 'ecvae.generateSamples', `Generate samples from ${cr.runDir}`));
    }
    return lenses;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

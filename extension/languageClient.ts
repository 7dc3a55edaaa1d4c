/**
 * Config-file language features (semantic diagnostics, hover, completion) come from the
 * config language server, a process of its own (`dist/language-server.js --stdio`,
 * sidecar/language/), started and restarted by vscode-languageclient as a node module
 * over stdio. It never trains: the sidecar is not involved.
 */
import type * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node.js';

export const CONFIG_SELECTOR = [
  { language: 'json', pattern: '**/*.ecvae.json' },
  { language: 'jsonc', pattern: '**/*.ecvae.json' },
];

export function startConfigLanguageClient(serverModule: string, output: vscode.OutputChannel): LanguageClient {
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.stdio },
    debug: { module: serverModule, transport: TransportKind.stdio },
  };
  const clientOptions: LanguageClientOptions = { documentSelector: CONFIG_SELECTOR, outputChannel: output };
  const client = new LanguageClient('ecvae-config', 'EC-VAE config', serverOptions, clientOptions);
  void client.start().catch((err: unknown) => output.appendLine(`config language server did not start: ${(err as Error).message}`));
  return client;
}

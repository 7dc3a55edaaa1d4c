/**
 * Config-file language features (semantic diagnostics, hover, completion) come from the
 * sidecar's language server through vscode-languageclient. The server runs inside the one
 * sidecar process, on its own socket (why: sidecar/server/main.ts); if the sidecar dies,
 * the language client's restart asks for the channel again, which starts a new sidecar.
 */
import type * as vscode from 'vscode';
import { LanguageClient, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node.js';
import type { SidecarClient } from './sidecarClient.ts';

export const CONFIG_SELECTOR = [
  { language: 'json', pattern: '**/*.ecvae.json' },
  { language: 'jsonc', pattern: '**/*.ecvae.json' },
];

export function startConfigLanguageClient(sidecar: SidecarClient, output: vscode.OutputChannel): LanguageClient {
  const serverOptions: ServerOptions = async () => {
    const stream = sidecar.languageChannel();
    // detached: the sidecar's lifetime is SidecarClient's business, not the language client's.
    return { reader: stream, writer: stream, detached: true };
  };
  const clientOptions: LanguageClientOptions = { documentSelector: CONFIG_SELECTOR, outputChannel: output };
  const client = new LanguageClient('ecvae-config', 'EC-VAE config', serverOptions, clientOptions);
  void client.start().catch((err: unknown) => output.appendLine(`config language server did not start: ${(err as Error).message}`));
  return client;
}

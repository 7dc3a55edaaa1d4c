/**
 * Stands in for `vscode-languageclient/node` when the extension is bundled against the
 * `vscode` test double (the real client needs a real VS Code). It does what matters to
 * the extension's wiring: takes the server options the extension built, opens the
 * stream they give (the real sidecar's language server) and performs the LSP
 * `initialize` handshake on it, recording the outcome on globalThis.__languageClients.
 */
import type { Duplex } from 'node:stream';
import rpc from 'vscode-languageserver-protocol/node.js';

interface Recorded {
  id: string;
  documentSelector: unknown;
  initialize?: Promise<rpc.InitializeResult>;
  connection?: rpc.ProtocolConnection;
}

export class LanguageClient {
  private readonly rec: Recorded;
  constructor(
    id: string,
    _name: string,
    private readonly serverOptions: () => Promise<{ reader: Duplex; writer: Duplex }>,
    clientOptions: { documentSelector: unknown },
  ) {
    this.rec = { id, documentSelector: clientOptions.documentSelector };
    const g = globalThis as unknown as { __languageClients?: Recorded[] };
    (g.__languageClients ??= []).push(this.rec);
  }

  async start(): Promise<void> {
    const { reader, writer } = await this.serverOptions();
    const c = rpc.createProtocolConnection(new rpc.StreamMessageReader(reader), new rpc.StreamMessageWriter(writer));
    c.listen();
    this.rec.connection = c;
    this.rec.initialize = c.sendRequest(rpc.InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {} });
    await this.rec.initialize;
  }

  async stop(): Promise<void> {
    this.rec.connection?.dispose();
  }
}

/**
 * Stands in for `vscode-languageclient/node` when the extension is bundled against the
 * `vscode` test double (the real client needs a real VS Code). It does what matters to
 * the extension's wiring: takes the server options the extension built, starts the
 * server module as the real client would (`node <module> --stdio`), and performs the LSP
 * `initialize` handshake, recording the outcome on globalThis.__languageClients; stop()
 * ends the session with shutdown + exit and records the server's exit code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import rpc from 'vscode-languageserver-protocol/node.js';

export const TransportKind = { stdio: 0, ipc: 1, pipe: 2, socket: 3 } as const;

interface ModuleOptions {
  module: string;
  transport?: number;
}

interface Recorded {
  id: string;
  documentSelector: unknown;
  serverOptions: { run: ModuleOptions; debug: ModuleOptions };
  initialize?: Promise<rpc.InitializeResult>;
  connection?: rpc.ProtocolConnection;
  exitCode?: Promise<number | null>;
}

export class LanguageClient {
  private readonly rec: Recorded;
  private child: ChildProcess | undefined;
  constructor(id: string, _name: string, serverOptions: { run: ModuleOptions; debug: ModuleOptions }, clientOptions: { documentSelector: unknown }) {
    this.rec = { id, documentSelector: clientOptions.documentSelector, serverOptions };
    const g = globalThis as unknown as { __languageClients?: Recorded[] };
    (g.__languageClients ??= []).push(this.rec);
  }

  async start(): Promise<void> {
    const { module, transport } = this.rec.serverOptions.run;
    if (transport !== TransportKind.stdio) throw new Error('the double speaks stdio only');
    const child = (this.child = spawn(process.execPath, [module, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] }));
    this.rec.exitCode = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const c = rpc.createProtocolConnection(new rpc.StreamMessageReader(child.stdout!), new rpc.StreamMessageWriter(child.stdin!));
    c.listen();
    this.rec.connection = c;
    this.rec.initialize = c.sendRequest(rpc.InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {} });
    await this.rec.initialize;
  }

  async stop(): Promise<void> {
    const c = this.rec.connection;
    if (!c || this.child?.exitCode !== null) return;
    await c.sendRequest(rpc.ShutdownRequest.type);
    await c.sendNotification(rpc.ExitNotification.type);
    await this.rec.exitCode;
    c.dispose();
  }
}

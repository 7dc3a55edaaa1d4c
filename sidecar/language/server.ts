/**
 * The config-file language server (LSP), its own process: `node dist/language-server.js
 * --stdio`, on vscode-languageserver's public API. Diagnostics, hover and completion come
 * from features.ts (the engine's pure config code); it never trains and starts no sidecar.
 *
 * Lifecycle as the LSP spec says: a request before `initialize` gets -32002
 * (ServerNotInitialized), a request after `shutdown` gets -32600 (InvalidRequest), and
 * `exit` ends the process with 0 after `shutdown`, 1 without (the library's watchdog).
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CompletionItemKind,
  DiagnosticSeverity,
  ErrorCodes,
  MarkupKind,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
} from 'vscode-languageserver/node.js';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { completions, diagnostics, hover } from './features.ts';

function baseDirOf(uri: string): string {
  return uri.startsWith('file:') ? dirname(fileURLToPath(uri)) : process.cwd();
}

/** Wires the config language features onto `connection` and starts listening. */
export function serveConfigLanguage(connection: Connection): void {
  let state: 'new' | 'initialized' | 'shut down' = 'new';
  /** Refuses requests outside the initialized state, as the spec asks. */
  const guard = (): void => {
    if (state === 'new') throw new ResponseError(ErrorCodes.ServerNotInitialized, 'The server is not initialized: send "initialize" first.');
    if (state === 'shut down') throw new ResponseError(ErrorCodes.InvalidRequest, 'The server is shut down: only "exit" is accepted.');
  };
  const documents = new TextDocuments(TextDocument);
  const timers = new Map<string, NodeJS.Timeout>();

  const publish = (doc: TextDocument): void => {
    const items = diagnostics(doc.getText(), baseDirOf(doc.uri)).map((d) => ({
      range: { start: doc.positionAt(d.offset), end: doc.positionAt(d.offset + Math.max(d.length, 1)) },
      message: d.message,
      severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
      source: 'ecvae',
    }));
    void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics: items });
  };
  // Typing fires a change per keystroke: check once the typing pauses.
  const schedule = (doc: TextDocument): void => {
    clearTimeout(timers.get(doc.uri));
    timers.set(
      doc.uri,
      setTimeout(() => {
        timers.delete(doc.uri);
        const latest = documents.get(doc.uri);
        if (latest) publish(latest);
      }, 150),
    );
  };

  connection.onInitialize(() => {
    state = 'initialized';
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        completionProvider: { triggerCharacters: ['"', ':'] },
      },
      serverInfo: { name: 'ecvae-config' },
    };
  });
  connection.onShutdown(() => {
    guard();
    state = 'shut down';
    timers.forEach((t) => clearTimeout(t));
    timers.clear();
  });
  // Any other request: not initialized / shut down first, then "no such method".
  connection.onRequest((method) => {
    guard();
    throw new ResponseError(ErrorCodes.MethodNotFound, `Unhandled method ${method}`);
  });
  documents.onDidOpen((e) => state === 'initialized' && publish(e.document));
  documents.onDidChangeContent((e) => state === 'initialized' && schedule(e.document));
  documents.onDidClose((e) => {
    clearTimeout(timers.get(e.document.uri));
    if (state === 'initialized') void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });
  connection.onHover(({ textDocument, position }) => {
    guard();
    const doc = documents.get(textDocument.uri);
    if (!doc) return null;
    const h = hover(doc.getText(), doc.offsetAt(position), baseDirOf(doc.uri));
    return h
      ? { contents: { kind: MarkupKind.Markdown, value: h.markdown }, range: { start: doc.positionAt(h.offset), end: doc.positionAt(h.offset + h.length) } }
      : null;
  });
  connection.onCompletion(({ textDocument, position }) => {
    guard();
    const doc = documents.get(textDocument.uri);
    if (!doc) return [];
    return completions(doc.getText(), doc.offsetAt(position)).map((c, i) => ({
      label: c.label,
      kind: CompletionItemKind.Value,
      sortText: String(i).padStart(3, '0'),
      textEdit: { range: { start: doc.positionAt(c.offset), end: doc.positionAt(c.offset + c.length) }, newText: c.insertText },
      ...(c.detail ? { detail: c.detail } : {}),
      ...(c.documentation ? { documentation: { kind: MarkupKind.Markdown, value: c.documentation } } : {}),
    }));
  });
  documents.listen(connection);
  connection.listen();
}

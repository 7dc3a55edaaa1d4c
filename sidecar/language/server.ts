/**
 * The config-file language server (LSP) of the sidecar, served on its own duplex stream
 * (the extension passes a socket as fd 3; see sidecar/server/main.ts for why it is a
 * second channel). Diagnostics, hover and completion come from features.ts.
 *
 * Built on vscode-languageserver's transport-neutral API with our own watchdog: the
 * package's Node entry calls process.exit() on the LSP `exit` notification and when its
 * input ends, which would kill training runs that share this process. Here an LSP
 * session ending only ends that session.
 */
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import lsp from 'vscode-languageserver/lib/common/api.js';
import transport from 'vscode-languageserver-protocol/node.js';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { completions, diagnostics, hover } from './features.ts';

const { createConnection, TextDocuments, TextDocumentSyncKind, DiagnosticSeverity, MarkupKind, CompletionItemKind } = lsp;
const { createProtocolConnection, StreamMessageReader, StreamMessageWriter } = transport;

function baseDirOf(uri: string): string {
  return uri.startsWith('file:') ? dirname(fileURLToPath(uri)) : process.cwd();
}

/**
 * Serves LSP sessions on `stream` until it closes; resolves then. When a session ends
 * (`exit`, as when the language client restarts) the next one starts on the same stream.
 */
export function serveLanguage(stream: Duplex, log: (message: string) => void): Promise<void> {
  let session: { dispose(): void };
  const next = (): void => {
    session = startSession(stream, () => {
      session.dispose();
      if (!stream.destroyed) next();
    });
  };
  next();
  log('config language server ready');
  return new Promise((resolve) => {
    stream.once('close', () => {
      session.dispose();
      resolve();
    });
  });
}

/** One LSP session: initialize .. shutdown/exit. `onExit` runs on the `exit` notification. */
function startSession(stream: Duplex, onExit: () => void): { dispose(): void } {
  let shutdown = false;
  const watchDog = {
    initialize: () => undefined,
    get shutdownReceived() {
      return shutdown;
    },
    set shutdownReceived(v: boolean) {
      shutdown = v;
    },
    exit: () => onExit(),
  };
  const connection = createConnection((logger) => createProtocolConnection(new StreamMessageReader(stream), new StreamMessageWriter(stream), logger), watchDog);
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

  connection.onInitialize(() => ({
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      completionProvider: { triggerCharacters: ['"', ':'] },
    },
    serverInfo: { name: 'ecvae-config' },
  }));
  documents.onDidOpen((e) => publish(e.document));
  documents.onDidChangeContent((e) => schedule(e.document));
  documents.onDidClose((e) => {
    clearTimeout(timers.get(e.document.uri));
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });
  connection.onHover(({ textDocument, position }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc) return null;
    const h = hover(doc.getText(), doc.offsetAt(position), baseDirOf(doc.uri));
    return h
      ? { contents: { kind: MarkupKind.Markdown, value: h.markdown }, range: { start: doc.positionAt(h.offset), end: doc.positionAt(h.offset + h.length) } }
      : null;
  });
  connection.onCompletion(({ textDocument, position }) => {
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
  return {
    dispose: () => {
      timers.forEach((t) => clearTimeout(t));
      connection.dispose();
    },
  };
}

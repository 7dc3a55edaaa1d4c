/**
 * A small stand-in for the `vscode` module, enough to activate the extension and drive
 * its commands in node:test. State lives on globalThis.__vscodeDouble so a test can see
 * what the extension registered and showed. (Bundled in place of `vscode` by esbuild's alias.)
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

type Listener<T> = (e: T) => unknown;
class Emitter<T> {
  private readonly ls = new Set<Listener<T>>();
  event = (l: Listener<T>): { dispose(): void } => {
    this.ls.add(l);
    return { dispose: () => this.ls.delete(l) };
  };
  fire(e: T): void {
    for (const l of this.ls) l(e);
  }
}

export class EventEmitter<T> extends Emitter<T> {
  dispose(): void {}
}

export class Uri {
  private constructor(readonly fsPath: string) {}
  static file(p: string): Uri {
    return new Uri(p);
  }
  static joinPath(u: Uri, ...parts: string[]): Uri {
    return new Uri(join(u.fsPath, ...parts));
  }
  toString(): string {
    return pathToFileURL(this.fsPath).href;
  }
}

export enum ViewColumn {
  Active = -1,
  Beside = -2,
}
export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}
export class TreeItem {
  id?: string;
  description?: string;
  tooltip?: string;
  contextValue?: string;
  iconPath?: ThemeIcon;
  command?: { command: string; title: string; arguments?: unknown[] };
  constructor(
    readonly label: string,
    readonly collapsibleState: TreeItemCollapsibleState,
  ) {}
}
export class ThemeIcon {
  constructor(readonly id: string) {}
}
export class RelativePattern {
  constructor(
    readonly base: Uri,
    readonly pattern: string,
  ) {}
}
export class Range {
  constructor(
    readonly startLine: number,
    readonly startCharacter: number,
    readonly endLine: number,
    readonly endCharacter: number,
  ) {}
}
export class CodeLens {
  constructor(
    readonly range: Range,
    readonly command?: { title: string; command: string; tooltip?: string; arguments?: unknown[] },
  ) {}
}
export enum StatusBarAlignment {
  Left = 1,
}
export enum ProgressLocation {
  Notification = 15,
}

export interface PanelDouble {
  viewType: string;
  html: string;
  posted: unknown[];
  receive(m: unknown): void;
  disposed: boolean;
}

const state = {
  commands: new Map<string, (...a: unknown[]) => unknown>(),
  messages: [] as { level: string; text: string }[],
  output: [] as string[],
  statusText: '',
  panels: [] as PanelDouble[],
  quickPick: (items: unknown[]): unknown => items[0],
  workspaceRoot: process.cwd(),
  trusted: true,
  files: [] as Uri[],
  serializers: new Map<string, unknown>(),
  trees: new Map<string, unknown>(),
  watchers: [] as { pattern: RelativePattern; fire(): void }[],
  /** When set, the next withProgress task is cancelled by the user right after it starts. */
  cancelNextProgress: false,
  progressTitles: [] as string[],
  executed: [] as { id: string; args: unknown[] }[],
  /** Context keys set with the `setContext` command. */
  context: new Map<string, unknown>(),
  codeLensProviders: [] as unknown[],
  /** What the next showInputBox calls answer, in order (none left: the user pressed Escape). */
  inputAnswers: [] as string[],
  /** What showWarningMessage with choices answers (undefined: Cancel). */
  warningAnswer: (_text: string, _choices: string[]): string | undefined => undefined,
  /** A Uri of this copy of the double (the extension's bundle has its own: `instanceof` needs this one). */
  uri: (path: string): Uri => Uri.file(path),
};
(globalThis as unknown as { __vscodeDouble: typeof state }).__vscodeDouble = state;

export const window = {
  createOutputChannel: () => ({ appendLine: (l: string) => state.output.push(l), show: () => undefined, dispose: () => undefined }),
  createStatusBarItem: () => {
    const item = { command: '', show: () => undefined, dispose: () => undefined };
    return Object.defineProperty(item, 'text', { get: () => state.statusText, set: (v: string) => (state.statusText = v) });
  },
  createWebviewPanel: (viewType: string) => {
    const received = new Emitter<unknown>();
    const disposed = new Emitter<void>();
    const double: PanelDouble = { viewType, html: '', posted: [], receive: (m) => received.fire(m), disposed: false };
    state.panels.push(double);
    return {
      webview: {
        options: {},
        cspSource: 'vscode-webview://double',
        asWebviewUri: (u: Uri) => `vscode-webview://double${u.fsPath}`,
        set html(h: string) {
          double.html = h;
        },
        get html() {
          return double.html;
        },
        postMessage: (m: unknown) => {
          double.posted.push(m);
          return Promise.resolve(true);
        },
        onDidReceiveMessage: (l: Listener<unknown>) => received.event(l),
      },
      reveal: () => undefined,
      onDidDispose: (l: Listener<void>) => disposed.event(l),
      dispose: () => {
        double.disposed = true;
      },
    };
  },
  showQuickPick: async (items: unknown[]) => state.quickPick(items),
  showInputBox: async (o: { validateInput?: (v: string) => string | undefined }) => {
    const answer = state.inputAnswers.shift();
    // As VS Code does, an answer the validator refuses cannot be accepted.
    if (answer !== undefined && o.validateInput?.(answer)) throw new Error(`the input box refuses "${answer}": ${o.validateInput(answer)}`);
    return answer;
  },
  showInformationMessage: async (text: string) => void state.messages.push({ level: 'info', text }),
  showWarningMessage: async (text: string, ...rest: unknown[]) => {
    state.messages.push({ level: 'warning', text });
    const choices = rest.filter((r): r is string => typeof r === 'string');
    return choices.length ? state.warningAnswer(text, choices) : undefined;
  },
  showWorkspaceFolderPick: async () => ({ uri: Uri.file(state.workspaceRoot), name: 'ws', index: 0 }),
  showErrorMessage: async (text: string) => void state.messages.push({ level: 'error', text }),
  withProgress: async <T>(o: { title: string; cancellable?: boolean }, task: (p: unknown, token: unknown) => Promise<T>) => {
    state.progressTitles.push(o.title);
    const cancel = new Emitter<void>();
    const token = { onCancellationRequested: cancel.event };
    const running = task({ report: () => undefined }, token);
    if (state.cancelNextProgress && o.cancellable) {
      state.cancelNextProgress = false;
      cancel.fire();
    }
    return running;
  },
  createTreeView: (id: string, o: { treeDataProvider: unknown }) => {
    state.trees.set(id, o.treeDataProvider);
    return { dispose: () => state.trees.delete(id) };
  },
  showOpenDialog: async () => undefined,
  showTextDocument: async () => undefined,
  registerWebviewPanelSerializer: (viewType: string, s: unknown) => {
    state.serializers.set(viewType, s);
    return { dispose: () => undefined };
  },
};

export const commands = {
  registerCommand: (id: string, f: (...a: unknown[]) => unknown) => {
    state.commands.set(id, f);
    return { dispose: () => state.commands.delete(id) };
  },
  executeCommand: async (id: string, ...args: unknown[]) => {
    state.executed.push({ id, args });
    if (id === 'setContext') return void state.context.set(args[0] as string, args[1]);
    return state.commands.get(id)?.(...args);
  },
};

export const workspace = {
  get workspaceFolders() {
    return [{ uri: Uri.file(state.workspaceRoot) }];
  },
  get isTrusted() {
    return state.trusted;
  },
  findFiles: async () => state.files,
  getWorkspaceFolder: (u: Uri) =>
    relative(state.workspaceRoot, u.fsPath).startsWith('..') ? undefined : { uri: Uri.file(state.workspaceRoot), name: 'ws', index: 0 },
  textDocuments: [] as unknown[],
  onDidSaveTextDocument: () => ({ dispose: () => undefined }),
  onDidChangeConfiguration: () => ({ dispose: () => undefined }),
  onDidChangeWorkspaceFolders: () => ({ dispose: () => undefined }),
  asRelativePath: (u: Uri) => relative(state.workspaceRoot, u.fsPath),
  getConfiguration: () => ({ get: <T>(_k: string, d: T) => d }),
  fs: {
    readFile: async (u: Uri) => readFileSync(u.fsPath),
    writeFile: async (u: Uri, b: Uint8Array) => writeFileSync(u.fsPath, b),
    stat: async (u: Uri) => statSync(u.fsPath),
  },
  createFileSystemWatcher: (pattern: RelativePattern | string) => {
    const changed = new Emitter<unknown>();
    if (typeof pattern !== 'string') state.watchers.push({ pattern, fire: () => changed.fire(undefined) });
    return { onDidCreate: changed.event, onDidChange: changed.event, onDidDelete: changed.event, dispose: () => undefined };
  },
};

export const languages = {
  registerCodeLensProvider: (_selector: unknown, provider: unknown) => {
    state.codeLensProviders.push(provider);
    return { dispose: () => undefined };
  },
};

/**
 * What every webview script of the extension starts with: the VS Code API typed by the
 * panel's messages and saved state (extension/<panel>/messages.ts), and an element lookup.
 */
export interface VsCodeApi<From, State> {
  postMessage(m: From): void;
  getState(): State | undefined;
  setState(s: State): void;
}

declare function acquireVsCodeApi(): VsCodeApi<unknown, unknown>;

/** The webview's API; acquireVsCodeApi may be called once per page. */
export const vsCodeApi = <From, State>(): VsCodeApi<From, State> => acquireVsCodeApi() as VsCodeApi<From, State>;

export const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

/**
 * What every panel loads from the extension: its bundle's script and stylesheet in
 * dist/media (webviewPage.ts builds the page around them), and the webview options that
 * let it load them, plus whatever other folders that panel shows images from.
 */
import * as vscode from 'vscode';
import type { WebviewPageOptions } from './webviewPage.ts';

const mediaRoot = (extensionUri: vscode.Uri): vscode.Uri => vscode.Uri.joinPath(extensionUri, 'dist', 'media');

/** `bundle`: the name of the panel's script and stylesheet in dist/media (`<bundle>.js`, `<bundle>.css`). */
export function bundleAssets(webview: vscode.Webview, extensionUri: vscode.Uri, bundle: string): WebviewPageOptions {
  const uri = (file: string): string => webview.asWebviewUri(vscode.Uri.joinPath(mediaRoot(extensionUri), file)).toString();
  return { cspSource: webview.cspSource, scriptUri: uri(`${bundle}.js`), styleUri: uri(`${bundle}.css`) };
}

/** Scripts on, state kept while hidden, and resources from dist/media and `extraRoots` only. */
export function panelOptions(extensionUri: vscode.Uri, extraRoots: vscode.Uri[] = []): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [mediaRoot(extensionUri), ...extraRoots] };
}

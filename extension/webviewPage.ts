/**
 * The page every webview of the extension is: a strict Content-Security-Policy (no remote
 * content, no inline script; the one script and stylesheet come from the extension's
 * media and carry a fresh nonce; images only from the extension, the workspace or data:
 * URLs), VS Code theme colours through CSS variables in the stylesheet.
 */
import { randomBytes } from 'node:crypto';

export interface WebviewPageOptions {
  /** webview.cspSource (e.g. "vscode-webview://..."), or "file:" in tests. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  nonce?: string;
}

const newNonce = (): string => randomBytes(16).toString('base64');

export function webviewPage(o: WebviewPageOptions, title: string, body: string): string {
  const nonce = o.nonce ?? newNonce();
  const csp = [
    "default-src 'none'",
    `img-src ${o.cspSource} data:`,
    `style-src ${o.cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${o.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${nonce}" href="${o.styleUri}">
<title>${title}</title>
</head>
<body>
${body.trim()}
<script nonce="${nonce}" src="${o.scriptUri}"></script>
</body>
</html>`;
}

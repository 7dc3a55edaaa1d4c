/**
 * The dashboard webview's HTML: a strict Content-Security-Policy (no remote content, no
 * inline script; the one script and stylesheet come from the extension's media and
 * carry a fresh nonce), VS Code theme colours through CSS variables.
 */
import { randomBytes } from 'node:crypto';

export interface DashboardHtmlOptions {
  /** webview.cspSource (e.g. "vscode-webview://..."), or "file:" in tests. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  nonce?: string;
}

export const newNonce = (): string => randomBytes(16).toString('base64');

export function dashboardHtml(o: DashboardHtmlOptions): string {
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
<title>EC-VAE training</title>
</head>
<body>
<header>
  <h1 id="run-name">EC-VAE training</h1>
  <span id="status" class="status">waiting for a run</span>
  <span id="progress"></span>
  <div class="controls">
    <button id="pause" type="button">Pause</button>
    <button id="stop" type="button">Stop</button>
  </div>
</header>
<p id="message" hidden></p>
<p id="calibration-warning" role="status" hidden></p>
<section class="charts">
  <figure><figcaption>Losses</figcaption><div id="chart-losses" class="chart"></div></figure>
  <figure><figcaption>Energies: training data, held-out data, negatives</figcaption><div id="chart-energy" class="chart"></div></figure>
  <figure><figcaption>Calibration distance vs ε (the constraint)</figcaption><div id="chart-distance" class="chart"></div></figure>
  <figure><figcaption>Chain drift vs injected noise (mean ‖·‖ per sample)</figcaption><div id="chart-drift" class="chart"></div></figure>
  <figure><figcaption>λ (dual variable)</figcaption><div id="chart-lambda" class="chart"></div></figure>
  <figure><figcaption>Throughput (it/s)</figcaption><div id="chart-speed" class="chart"></div></figure>
</section>
<section class="samples">
  <figure><figcaption>One-step samples <span id="it-one-step"></span></figcaption><img id="img-one-step" alt="one-step samples"></figure>
  <figure><figcaption>MCMC-refined <span id="it-mcmc"></span></figcaption><img id="img-mcmc" alt="MCMC-refined samples"></figure>
</section>
<script nonce="${nonce}" src="${o.scriptUri}"></script>
</body>
</html>`;
}

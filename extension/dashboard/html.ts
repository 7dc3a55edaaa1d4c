/**
 * The dashboard webview's HTML, in the extension's webview page (webviewPage.ts: strict
 * CSP with a nonce, no remote content, theme colours).
 */
import { webviewPage, type WebviewPageOptions } from '../webviewPage.ts';

export function dashboardHtml(o: WebviewPageOptions): string {
  return webviewPage(
    o,
    'EC-VAE training',
    `
<header>
  <h1 id="run-name">EC-VAE training</h1>
  <span id="status" class="status">waiting for a run</span>
  <span id="progress"></span>
  <div class="controls">
    <button id="pause" type="button">Pause</button>
    <button id="stop" type="button">Stop</button>
    <button id="open-samples" type="button" title="The samples panel of this run">Samples…</button>
    <button id="open-restore" type="button" title="Restore an image with this run">Restore…</button>
  </div>
</header>
<div class="view-controls">
  <label>Smoothing <input id="smoothing" type="range" min="0" max="0.95" step="0.05" value="0"></label>
  <label><input id="log-scale" type="checkbox"> Log scale</label>
  <button id="compare" type="button" title="Overlay other runs' curves, dashed">Compare with…</button>
  <span id="overlay-info" hidden></span>
  <button id="clear-overlay" type="button" hidden>Clear comparison</button>
</div>
<p id="message" hidden></p>
<p id="calibration-warning" role="status" hidden></p>
<section class="charts">
  <figure><figcaption>Losses: reconstruction and KL</figcaption><div id="chart-losses" class="chart"></div></figure>
  <figure><figcaption>Energies: training data, held-out data, negatives</figcaption><div id="chart-energy" class="chart"></div></figure>
  <figure><figcaption>Calibration distance vs ε (the constraint)</figcaption><div id="chart-distance" class="chart"></div></figure>
  <figure><figcaption>Chain drift vs injected noise</figcaption><div id="chart-drift" class="chart"></div></figure>
  <figure><figcaption>Calibration loss and its weight λ (the dual variable)</figcaption><div id="chart-lambda" class="chart"></div></figure>
  <figure><figcaption>Flow prior: −log p(encoder means), latent calibration (model.prior "realnvp")</figcaption><div id="chart-prior" class="chart"></div></figure>
  <figure><figcaption>Generator step: gradient norm before clipping (training.gradClipNorm), learning rate (training.lrDecay)</figcaption><div id="chart-grad" class="chart"></div></figure>
  <figure><figcaption>Throughput</figcaption><div id="chart-speed" class="chart"></div></figure>
</section>
<section class="grids">
  <div class="grid-controls">
    <label for="grid-slider">Sample grids</label>
    <input id="grid-slider" type="range" min="0" max="0" step="1" value="0" disabled>
    <span id="grid-info">none yet</span>
  </div>
  <div class="samples">
    <figure><figcaption>One-step samples <span id="it-one-step"></span></figcaption><img id="img-one-step" alt="one-step samples"></figure>
    <figure><figcaption>MCMC-refined <span id="it-mcmc"></span></figcaption><img id="img-mcmc" alt="MCMC-refined samples"></figure>
  </div>
</section>
`,
  );
}

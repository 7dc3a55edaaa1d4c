/** The samples panel's markup (inside webviewPage's strict page): native, labelled controls. */
export function samplesBody(): string {
  return `
<header>
  <h1 id="title">Samples</h1>
  <form id="form" class="row">
    <label>Samples <input id="n" type="number" min="1" max="64"></label>
    <label>Seed <input id="seed" type="number" min="0" step="1"></label>
    <label>MCMC steps <input id="mcmcSteps" type="number" min="0" max="200"></label>
    <button id="generate" type="submit">Generate</button>
    <button id="reroll" type="button">Re-roll</button>
    <button id="save" type="button" disabled>Save grid</button>
    <span id="status" role="status"></span>
  </form>
</header>
<section class="grids">
  <figure><figcaption id="cap-one">One-step samples (one decoder pass)</figcaption><div id="one" class="grid" role="listbox" aria-multiselectable="true" aria-label="one-step samples: select two to interpolate"></div></figure>
  <figure id="mcmc-box" hidden><figcaption id="cap-mcmc">MCMC-refined</figcaption><div id="mcmc" class="grid"></div></figure>
</section>
<section id="interp-box">
  <h2>Latent interpolation <small>(select two one-step samples)</small></h2>
  <button id="interpolate" type="button" disabled>Interpolate</button>
  <div id="interp" class="grid row"></div>
</section>`;
}

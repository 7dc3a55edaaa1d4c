/**
 * The restoration panel's markup (inside webviewPage's strict page). Native controls with
 * labels throughout, so the panel is reachable by keyboard; the mask canvas has presets
 * as its keyboard alternative.
 */
import { TASK_NAMES, RESTORATION_TASKS } from '../../sidecar/protocol.ts';

export function restoreBody(): string {
  const tasks = TASK_NAMES.map((t) => `<option value="${t}">${RESTORATION_TASKS[t].title}: ${RESTORATION_TASKS[t].description}</option>`).join('');
  return `
<header>
  <h1 id="title">Restore</h1>
  <label>Checkpoint <select id="checkpoint"></select></label>
  <label>Task <select id="task">${tasks}</select></label>
</header>
<section class="setup">
  <figure class="canvas-box">
    <canvas id="canvas" aria-label="the image; paint the missing pixels when the mask is painted"></canvas>
    <figcaption id="image-info"></figcaption>
  </figure>
  <form id="form" class="params">
    <fieldset data-task="inpaint">
      <legend>Mask (red = missing)</legend>
      <label>Preset <select id="maskPreset">
        <option value="center">centre box</option><option value="half">bottom half</option>
        <option value="random">random pixels</option><option value="painted">painted</option>
      </select></label>
      <label>Missing fraction <input id="randomP" type="number" min="0.05" max="0.95" step="0.05"></label>
      <div class="row">
        <label><input type="radio" name="tool" value="brush" checked> Brush (missing)</label>
        <label><input type="radio" name="tool" value="eraser"> Eraser (known)</label>
        <label>Size <input id="brush" type="range" min="1" max="8" value="2"></label>
        <button id="clear" type="button">Clear</button>
      </div>
    </fieldset>
    <fieldset data-task="sr"><legend>Super-resolution</legend>
      <label>Factor <select id="factor"><option>2</option><option>4</option><option>8</option></select></label>
    </fieldset>
    <fieldset data-task="denoise"><legend>Denoising</legend>
      <label>Noise σ (pixel units) <input id="sigma" type="number" min="0.01" max="1" step="0.01"></label>
    </fieldset>
    <fieldset><legend>Langevin chain</legend>
      <label>Steps <input id="steps" type="number" min="1" max="10000"></label>
      <label>Step size <input id="stepSize" type="number" min="0.000001" max="1" step="any"></label>
      <label>Energy weight <input id="energyWeight" type="number" min="0" max="1000" step="any"></label>
      <label>Seed <input id="seed" type="number" min="0" step="1"></label>
      <label>Posterior samples <input id="samples" type="number" min="1" max="16"></label>
      <label><input id="fromClean" type="checkbox"> Degrade this clean image first (scores against it)</label>
    </fieldset>
    <div class="row">
      <button id="run" type="submit">Restore</button>
      <button id="cancel" type="button" disabled>Cancel</button>
      <span id="status" role="status"></span>
    </div>
  </form>
</section>
<section id="live" hidden>
  <h2>Current estimate <span id="step"></span></h2>
  <img id="frame" alt="current estimates of the posterior samples">
</section>
<section id="results" hidden>
  <h2>Results <span id="timing"></span></h2>
  <div id="cards" class="cards"></div>
  <h2>Posterior samples <small>(select one to save)</small></h2>
  <div id="samples-strip" class="cards" role="listbox" aria-label="posterior samples"></div>
  <div class="row">
    <button id="save" type="button" disabled>Save</button>
    <button id="saveAs" type="button" disabled>Save As…</button>
    <span id="saved"></span>
  </div>
</section>`;
}

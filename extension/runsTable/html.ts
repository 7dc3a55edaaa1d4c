/** The runs table's markup (inside webviewPage's strict page): a native table with sortable headers. */
import type { SortKey } from './messages.ts';

export const COLUMNS: { key: SortKey; title: string; tip: string; numeric?: boolean }[] = [
  { key: 'name', title: 'Run', tip: 'The config name and the run folder' },
  { key: 'status', title: 'Status', tip: 'running, finished, stopped, failed, or interrupted (its process ended without finishing)' },
  { key: 'iteration', title: 'Iteration', tip: 'Iterations done of the target', numeric: true },
  { key: 'model', title: 'Model', tip: 'model.kind' },
  { key: 'latentDim', title: 'z', tip: 'model.latentDim', numeric: true },
  { key: 'batchSize', title: 'Batch', tip: 'training.batchSize', numeric: true },
  { key: 'lr', title: 'LR', tip: 'training.vaeLearningRate', numeric: true },
  { key: 'beta', title: 'β', tip: 'training.beta (KL weight)', numeric: true },
  { key: 'sgldSteps', title: 'SGLD', tip: 'calibration.sgldSteps (0: calibration off)', numeric: true },
  { key: 'rec', title: 'rec', tip: 'Reconstruction loss, last logged', numeric: true },
  { key: 'kl', title: 'KL', tip: 'KL term, last logged', numeric: true },
  { key: 'gap', title: 'E gap', tip: 'E(neg) − E(held-out), last logged: positive when the energy tells data from negatives', numeric: true },
  { key: 'itPerSec', title: 'it/s', tip: 'Speed over the last logging window', numeric: true },
  { key: 'updated', title: 'Updated', tip: 'Last status change' },
];

export function runsTableBody(): string {
  const head = COLUMNS.map(
    (c) => `<th scope="col" data-key="${c.key}"${c.numeric ? ' class="num"' : ''} title="${c.tip}"><button type="button">${c.title}</button></th>`,
  ).join('');
  return `
<header>
  <h1>EC-VAE runs</h1>
  <span id="count" role="status"></span>
  <button id="refresh" type="button">Refresh</button>
</header>
<p class="hint">Click a row to open its dashboard; click a column title to sort.</p>
<table id="runs">
  <thead><tr>${head}</tr></thead>
  <tbody></tbody>
</table>
<p id="empty" hidden>No runs yet: train a config (EC-VAE: Train), or set ecvae.runsDirectory to the folder your runs are in.</p>`;
}

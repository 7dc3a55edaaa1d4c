/**
 * The samples panel's script (bundled to dist/media/samples.js): the controls, the grids
 * of one-step and MCMC-refined samples, the choice of two samples and their latent
 * interpolation. State is saved with setState and comes back after a window reload.
 */
import './panel.css';
import './samples.css';
import { DEFAULT_SAMPLES_FORM, type FromSamplesPanel, type SamplesForm, type SamplesPanelState, type ToSamplesPanel } from '../extension/samples/messages.ts';
import type { SampleOutcome } from '../sidecar/protocol.ts';
import { $, vsCodeApi } from './webview.ts';

const vscode = vsCodeApi<FromSamplesPanel, SamplesPanelState>();
const state: SamplesPanelState = vscode.getState() ?? {};
const FIELDS = ['n', 'seed', 'mcmcSteps'] as const;
let chosen: number[] = [];

const save = (): void => vscode.setState(state);
const readForm = (): SamplesForm => Object.fromEntries(FIELDS.map((k) => [k, Number($<HTMLInputElement>(k).value)])) as unknown as SamplesForm;
function writeForm(f: SamplesForm): void {
  for (const k of FIELDS) $<HTMLInputElement>(k).value = String(f[k]);
}

function busy(on: boolean, text: string): void {
  for (const id of ['generate', 'reroll']) $<HTMLButtonElement>(id).disabled = on;
  $('status').textContent = text;
}

function generate(): void {
  state.form = readForm();
  save();
  busy(true, 'Sampling…');
  vscode.postMessage({ type: 'generate', form: state.form });
}

$('form').addEventListener('submit', (e) => {
  e.preventDefault();
  generate();
});
$('reroll').addEventListener('click', () => {
  $<HTMLInputElement>('seed').value = String(Number($<HTMLInputElement>('seed').value) + 1);
  generate();
});
$('save').addEventListener('click', () => state.form && vscode.postMessage({ type: 'save', form: state.form }));
$('interpolate').addEventListener('click', () => {
  const z = state.outcome?.previews?.latents;
  if (!z || chosen.length !== 2) return;
  busy(true, 'Interpolating…');
  vscode.postMessage({ type: 'interpolate', from: z[chosen[0]!]!, to: z[chosen[1]!]! });
});

function images(box: HTMLElement, urls: string[], points: boolean, selectable: boolean): void {
  box.classList.toggle('points-grid', points);
  box.replaceChildren(
    ...urls.map((src, i) => {
      const img = document.createElement('img');
      img.src = src;
      img.alt = points ? 'samples over the data' : `sample ${i + 1}`;
      if (points) img.className = 'points';
      if (selectable) {
        img.tabIndex = 0;
        img.setAttribute('role', 'option');
        img.setAttribute('aria-selected', String(chosen.includes(i)));
        const pick = (): void => choose(i);
        img.addEventListener('click', pick);
        img.addEventListener('keydown', (e) => (e.key === 'Enter' || e.key === ' ') && pick());
      }
      return img;
    }),
  );
}

/** Selecting a third sample drops the oldest choice: two are interpolated. */
function choose(i: number): void {
  chosen = chosen.includes(i) ? chosen.filter((k) => k !== i) : [...chosen, i].slice(-2);
  document.querySelectorAll('#one img').forEach((img, k) => img.setAttribute('aria-selected', String(chosen.includes(k))));
  $<HTMLButtonElement>('interpolate').disabled = chosen.length !== 2;
}

const perSample = (s: number): string => (s < 1e-3 ? `${(s * 1e6).toFixed(0)} µs` : `${(s * 1e3).toFixed(1)} ms`);

function show(o: SampleOutcome): void {
  const p = o.previews;
  if (!p) return;
  const points = p.kind === 'points';
  chosen = [];
  images($('one'), p.oneStep, points, !points);
  $('cap-one').textContent = `One-step samples (one decoder pass): ${perSample(o.secondsPerImage.oneStep)} per sample`;
  $('mcmc-box').hidden = !p.mcmc;
  if (p.mcmc) {
    images($('mcmc'), p.mcmc, points, false);
    $('cap-mcmc').textContent = `MCMC-refined (${o.mcmcSteps} steps): ${perSample(o.secondsPerImage.mcmc ?? 0)} per sample`;
  }
  $('interp-box').hidden = points;
  $<HTMLButtonElement>('interpolate').disabled = true;
  $<HTMLButtonElement>('save').disabled = false;
  $('status').textContent = `${o.n} samples, seed ${o.seed}, checkpoint iteration ${o.iteration}`;
}

window.addEventListener('message', (e: MessageEvent<ToSamplesPanel>) => {
  const m = e.data;
  switch (m.type) {
    case 'init':
      state.source = m.source;
      $('title').textContent = `Samples: ${m.source.name}`;
      save();
      if (!state.outcome) generate();
      break;
    case 'samples':
      busy(false, '');
      state.outcome = m.outcome;
      state.form = m.form;
      state.interpolation = undefined;
      $('interp').replaceChildren();
      save();
      show(m.outcome);
      break;
    case 'interpolation':
      busy(false, '');
      state.interpolation = m.images;
      save();
      images($('interp'), m.images, false, false);
      break;
    case 'error':
      busy(false, m.message);
      break;
    case 'saved':
      $('status').textContent = `Saved ${m.file}`;
      break;
  }
});

writeForm(state.form ?? DEFAULT_SAMPLES_FORM);
if (state.outcome) show(state.outcome);
if (state.interpolation) images($('interp'), state.interpolation, false, false);
vscode.postMessage({ type: 'ready' });

/**
 * The restoration panel's script (bundled to dist/media/restore.js). It owns the form and
 * the mask: presets are drawn here (centre and half with the engine's formulas, random
 * pixels seeded by the form's seed), painting edits the same bits, and those bits are
 * what the extension writes and the engine reads, so the mask used is the mask shown. State (form, mask, last result) is saved with
 * setState and comes back after a window reload.
 */
import './panel.css';
import './restore.css';
import { DEFAULT_FORM, type FromRestorePanel, type RestoreForm, type RestorePanelState, type ToRestorePanel } from '../extension/restore/messages.ts';
import type { MaskBits } from '../extension/restore/maskFile.ts';
import { presetMaskBits, type RestoreOutcome, type Task } from '../sidecar/protocol.ts';
import { $, vsCodeApi } from './webview.ts';

const vscode = vsCodeApi<FromRestorePanel, RestorePanelState>();
const state: RestorePanelState = vscode.getState() ?? {};
const canvas = $<HTMLCanvasElement>('canvas');
const ctx = canvas.getContext('2d')!;
const picture = new Image();
let mask: MaskBits | undefined = state.mask;
let selected = 0;
let painting = false;

const save = (): void => vscode.setState(state);
const num = (id: string): number => Number($<HTMLInputElement>(id).value);
const NUMBER_FIELDS = ['randomP', 'sigma', 'steps', 'stepSize', 'energyWeight', 'seed', 'samples'] as const;

function readForm(): RestoreForm {
  return {
    checkpoint: $<HTMLSelectElement>('checkpoint').value,
    task: $<HTMLSelectElement>('task').value as Task,
    maskPreset: $<HTMLSelectElement>('maskPreset').value as RestoreForm['maskPreset'],
    factor: num('factor'),
    fromClean: $<HTMLInputElement>('fromClean').checked,
    ...(Object.fromEntries(NUMBER_FIELDS.map((k) => [k, num(k)])) as Pick<RestoreForm, (typeof NUMBER_FIELDS)[number]>),
  };
}

function writeForm(f: Omit<RestoreForm, 'checkpoint'> & { checkpoint?: string }): void {
  if (f.checkpoint) $<HTMLSelectElement>('checkpoint').value = f.checkpoint;
  $<HTMLSelectElement>('task').value = f.task;
  $<HTMLSelectElement>('maskPreset').value = f.maskPreset;
  $<HTMLSelectElement>('factor').value = String(f.factor);
  $<HTMLInputElement>('fromClean').checked = f.fromClean;
  for (const k of NUMBER_FIELDS) $<HTMLInputElement>(k).value = String(f[k]);
  showTask();
}

function showTask(): void {
  const task = $<HTMLSelectElement>('task').value;
  for (const fs of document.querySelectorAll<HTMLFieldSetElement>('fieldset[data-task]')) fs.hidden = fs.dataset.task !== task;
  draw();
}

/** A preset drawn as the engine draws it (presetMaskBits, one function for both ends); "painted" starts all known. */
function presetMask(preset: RestoreForm['maskPreset'], w: number, h: number): MaskBits {
  const bits = preset === 'painted' ? new Array<number>(w * h).fill(1) : [...presetMaskBits(preset, w, h, { seed: num('seed'), p: num('randomP') })];
  return { width: w, height: h, bits };
}

function applyPreset(): void {
  const preset = $<HTMLSelectElement>('maskPreset').value as RestoreForm['maskPreset'];
  if (!picture.naturalWidth) return;
  if (preset !== 'painted' || !mask) mask = presetMask(preset === 'painted' ? 'center' : preset, picture.naturalWidth, picture.naturalHeight);
  state.mask = mask;
  save();
  draw();
}

const scale = (): number => Math.max(1, Math.floor(320 / Math.max(picture.naturalWidth || 1, picture.naturalHeight || 1)));

function draw(): void {
  if (!picture.naturalWidth) return;
  const s = scale();
  canvas.width = picture.naturalWidth * s;
  canvas.height = picture.naturalHeight * s;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(picture, 0, 0, canvas.width, canvas.height);
  if ($<HTMLSelectElement>('task').value !== 'inpaint' || !mask) return;
  ctx.fillStyle = 'rgba(230, 40, 40, 0.55)';
  mask.bits.forEach((b, i) => b || ctx.fillRect((i % mask!.width) * s, Math.floor(i / mask!.width) * s, s, s));
}

function paint(e: PointerEvent): void {
  if (!mask || $<HTMLSelectElement>('task').value !== 'inpaint') return;
  const s = scale();
  const r = canvas.getBoundingClientRect();
  const x = Math.floor(((e.clientX - r.left) * (canvas.width / r.width)) / s);
  const y = Math.floor(((e.clientY - r.top) * (canvas.height / r.height)) / s);
  const size = num('brush');
  const value = document.querySelector<HTMLInputElement>('input[name="tool"]:checked')?.value === 'eraser' ? 1 : 0;
  for (let i = y - size + 1; i < y + size; i++)
    for (let j = x - size + 1; j < x + size; j++) if (i >= 0 && j >= 0 && i < mask.height && j < mask.width) mask.bits[i * mask.width + j] = value;
  $<HTMLSelectElement>('maskPreset').value = 'painted';
  state.mask = mask;
  state.form = readForm();
  save();
  draw();
}

canvas.addEventListener('pointerdown', (e) => {
  painting = true;
  canvas.setPointerCapture(e.pointerId);
  paint(e);
});
canvas.addEventListener('pointermove', (e) => painting && paint(e));
canvas.addEventListener('pointerup', () => (painting = false));
$('clear').addEventListener('click', () => {
  if (!picture.naturalWidth) return;
  mask = presetMask('painted', picture.naturalWidth, picture.naturalHeight);
  $<HTMLSelectElement>('maskPreset').value = 'painted';
  state.mask = mask;
  save();
  draw();
});
$('maskPreset').addEventListener('change', () => {
  if ($<HTMLSelectElement>('maskPreset').value !== 'painted') mask = undefined;
  applyPreset();
});
for (const id of ['randomP', 'seed'])
  $(id).addEventListener('change', () => $<HTMLSelectElement>('maskPreset').value === 'random' && ((mask = undefined), applyPreset()));
$('task').addEventListener('change', showTask);
$('form').addEventListener('change', () => {
  state.form = readForm();
  save();
});

$('form').addEventListener('submit', (e) => {
  e.preventDefault();
  const form = readForm();
  state.form = form;
  save();
  running(true, 'Restoring…');
  vscode.postMessage({ type: 'restore', form, ...(form.task === 'inpaint' && mask ? { mask } : {}) });
});
$('cancel').addEventListener('click', () => vscode.postMessage({ type: 'cancel' }));
$('save').addEventListener('click', () => vscode.postMessage({ type: 'save', sample: selected, saveAs: false }));
$('saveAs').addEventListener('click', () => vscode.postMessage({ type: 'save', sample: selected, saveAs: true }));

function running(on: boolean, text: string): void {
  $<HTMLButtonElement>('run').disabled = on;
  $<HTMLButtonElement>('cancel').disabled = !on;
  $('status').textContent = text;
  if (on) $('live').hidden = false;
}

const scores = (s?: { psnr?: number; ssim?: number }): string =>
  s?.psnr !== undefined ? `PSNR ${s.psnr.toFixed(2)} dB · SSIM ${s.ssim!.toFixed(3)}` : 'no reference';

function card(title: string, src: string, caption: string, index?: number): HTMLElement {
  const fig = document.createElement('figure');
  fig.className = 'card';
  const img = document.createElement('img');
  img.src = src;
  img.alt = title;
  const cap = document.createElement('figcaption');
  cap.textContent = `${title} — ${caption}`;
  fig.append(img, cap);
  if (index !== undefined) {
    fig.tabIndex = 0;
    fig.setAttribute('role', 'option');
    const pick = (): void => select(index);
    fig.addEventListener('click', pick);
    fig.addEventListener('keydown', (e) => (e.key === 'Enter' || e.key === ' ') && pick());
  }
  return fig;
}

function select(i: number): void {
  selected = i;
  document.querySelectorAll('#samples-strip .card').forEach((c, k) => c.setAttribute('aria-selected', String(k === i)));
}

function showResult(o: RestoreOutcome): void {
  const p = o.previews;
  if (!p) return;
  $('results').hidden = false;
  $('timing').textContent = `${o.degradation}, ${o.options.steps} steps, ${o.secondsPerImage.toFixed(2)} s per sample`;
  const cards = $('cards');
  cards.replaceChildren(
    card('Observed (A⁺y)', p.observed, scores(o.baselines.pinv)),
    ...Object.entries(p.baselines)
      .filter(([k]) => k !== 'pinv')
      .map(([k, src]) => card(k === 'meanFill' ? 'Mean fill' : k === 'bicubic' ? 'Bicubic' : k, src, scores(o.baselines[k]))),
    ...(p.reference ? [card('Reference', p.reference, 'ground truth')] : []),
  );
  $('samples-strip').replaceChildren(
    ...p.samples.map((src, i) => card(`Sample ${i + 1}`, src, scores(o.perSample?.[i] ?? (p.samples.length === 1 ? o : undefined)), i)),
  );
  select(Math.min(selected, p.samples.length - 1));
  $<HTMLButtonElement>('save').disabled = false;
  $<HTMLButtonElement>('saveAs').disabled = false;
}

window.addEventListener('message', (e: MessageEvent<ToRestorePanel>) => {
  const m = e.data;
  switch (m.type) {
    case 'init': {
      state.image = m.image;
      $('title').textContent = `Restore ${m.image.name}`;
      $<HTMLSelectElement>('checkpoint').replaceChildren(...m.checkpoints.map((c) => new Option(c.label, c.path)));
      if (!m.checkpoints.length) $('status').textContent = 'No trained run with a checkpoint in the Runs view yet: train one first.';
      writeForm({ ...DEFAULT_FORM, ...m.form, ...state.form });
      picture.onload = () => {
        const fits = (k?: MaskBits): boolean => k?.width === picture.naturalWidth && k?.height === picture.naturalHeight;
        if (!fits(mask)) mask = fits(m.mask) ? m.mask : undefined;
        if (mask && !state.form) $<HTMLSelectElement>('maskPreset').value = 'painted';
        $('image-info').textContent = `${m.image.name}, ${picture.naturalWidth}×${picture.naturalHeight}`;
        applyPreset();
      };
      picture.src = m.image.src;
      save();
      break;
    }
    case 'progress':
      $<HTMLImageElement>('frame').src = m.image;
      $('step').textContent = `step ${m.step} of ${m.steps}`;
      break;
    case 'result':
      running(false, 'Done.');
      state.outcome = m.outcome;
      save();
      showResult(m.outcome);
      break;
    case 'error':
      running(false, m.message);
      break;
    case 'saved':
      $('saved').textContent = `Saved ${m.file}`;
      break;
  }
});

if (state.outcome) showResult(state.outcome);
vscode.postMessage({ type: 'ready' });

/**
 * The runs table webview: one row per run, sorted by the column the user picks (kept
 * with setState), a row opens its dashboard. The rows come from the extension.
 */
import './runsTable.css';
import type { FromRunsTable, RunRow, RunsTableState, SortKey, ToRunsTable } from '../extension/runsTable/messages.ts';
import { COLUMNS } from '../extension/runsTable/html.ts';
import { $, vsCodeApi } from './webview.ts';

const vscode = vsCodeApi<FromRunsTable, RunsTableState>();
let state: RunsTableState = vscode.getState() ?? { sort: { key: 'updated', descending: true } };
let rows: RunRow[] = [];

const value = (r: RunRow, key: SortKey): string | number | undefined => {
  switch (key) {
    case 'name':
      return `${r.name} ${r.where}`;
    case 'status':
    case 'iteration':
    case 'updated':
      return r[key];
    case 'rec':
    case 'kl':
    case 'gap':
    case 'itPerSec':
      return r.last[key];
    default:
      return r.params[key];
  }
};

const num = (v: number | undefined, digits = 4): string =>
  v === undefined || !Number.isFinite(v)
    ? '–'
    : Math.abs(v) !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)
      ? v.toExponential(2).replace(/\.?0+e/, 'e')
      : String(+v.toPrecision(digits));

function cell(r: RunRow, key: SortKey): string {
  switch (key) {
    case 'name':
      return r.name;
    case 'status':
      return r.status;
    case 'iteration':
      return `${r.iteration}${r.total ? ` / ${r.total}` : ''}`;
    case 'model':
      return r.params.model ?? '–';
    case 'updated':
      return r.updated ? new Date(r.updated).toLocaleString() : '–';
    case 'sgldSteps':
      return r.params.calibration === false ? 'off' : num(r.params.sgldSteps);
    default: {
      const v = value(r, key);
      return typeof v === 'number' ? num(v) : '–';
    }
  }
}

/** Sorted by the chosen column; missing values last either way. */
function sorted(): RunRow[] {
  const { key, descending } = state.sort;
  return [...rows].sort((a, b) => {
    const x = value(a, key),
      y = value(b, key);
    if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
    return descending ? -c : c;
  });
}

function render(): void {
  const body = document.querySelector('#runs tbody')!;
  body.replaceChildren(
    ...sorted().map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.runDir = r.runDir;
      tr.tabIndex = 0;
      tr.title = `${r.runDir}\nClick to open its dashboard`;
      for (const c of COLUMNS) {
        const td = document.createElement('td');
        td.textContent = cell(r, c.key);
        if (c.numeric) td.className = 'num';
        if (c.key === 'name') {
          const where = document.createElement('small');
          where.textContent = r.where === r.name ? '' : ` ${r.where}`;
          td.append(where);
        }
        if (c.key === 'status') td.className = `status ${r.status}`;
        tr.append(td);
      }
      return tr;
    }),
  );
  for (const th of document.querySelectorAll<HTMLElement>('#runs th')) {
    const on = th.dataset.key === state.sort.key;
    th.setAttribute('aria-sort', on ? (state.sort.descending ? 'descending' : 'ascending') : 'none');
  }
  $('count').textContent = `${rows.length} run${rows.length === 1 ? '' : 's'}`;
  $('empty').hidden = rows.length > 0;
}

window.addEventListener('message', (e: MessageEvent<ToRunsTable>) => {
  if (e.data.type === 'rows') {
    rows = e.data.rows;
    render();
  }
});
for (const th of document.querySelectorAll<HTMLElement>('#runs th')) {
  th.addEventListener('click', () => {
    const key = th.dataset.key as SortKey;
    state = { sort: { key, descending: state.sort.key === key ? !state.sort.descending : key !== 'name' && key !== 'status' && key !== 'model' } };
    vscode.setState(state);
    render();
  });
}
const open = (target: EventTarget | null): void => {
  const tr = (target as HTMLElement | null)?.closest('tr');
  if (tr?.dataset.runDir) vscode.postMessage({ type: 'open', runDir: tr.dataset.runDir });
};
document.querySelector('#runs tbody')!.addEventListener('click', (e) => open(e.target));
document.querySelector('#runs tbody')!.addEventListener('keydown', (e) => {
  if ((e as KeyboardEvent).key === 'Enter') open(e.target);
});
$('refresh').addEventListener('click', () => vscode.postMessage({ type: 'refresh' }));
render();
vscode.postMessage({ type: 'ready' });

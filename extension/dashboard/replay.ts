/**
 * The dashboard messages that bring a panel up to date with a run: its name and total,
 * every logged iteration, every sample grid (the dashboard's slider steps through them) and its status. The sidecar reads the
 * run folder (`runs/read`, runLayout/runFolder.ts); this only turns that snapshot into
 * messages, and live notifications continue from there.
 */
import type { RunSnapshot } from '../../sidecar/protocol.ts';
import type { ToDashboard } from './messages.ts';

/** `toSrc` turns a sample PNG path into something the webview can load (a webview URI, a data URI). */
export function replayMessages(run: RunSnapshot, toSrc: (file: string) => string): ToDashboard[] {
  const out: ToDashboard[] = [{ type: 'reset', run: { runDir: run.runDir, name: run.name, total: run.total ?? 0 } }];
  if (run.records.length) out.push({ type: 'metrics', records: run.records });
  for (const s of run.samples) out.push({ type: 'samples', kind: s.kind, iteration: s.iteration, src: toSrc(s.file) });
  if (run.status !== 'unknown') out.push({ type: 'status', status: run.status, ...(run.message ? { message: run.message } : {}) });
  return out;
}

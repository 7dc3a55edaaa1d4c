/**
 * Rebuilds the dashboard messages of a run from its folder: config.json (name, total),
 * metrics.jsonl (every logged iteration), the newest sample grids and status.json. A
 * reopened dashboard of a running or finished run is brought up to date with these,
 * then live notifications continue from there.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { MetricsRecord } from '../../sidecar/engine/run.ts';
import type { DashboardStatus, ToDashboard } from './messages.ts';

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** `toSrc` turns a sample PNG path into something the webview can load (a webview URI, a data URI). */
export function replayMessages(runDir: string, toSrc: (file: string) => string): ToDashboard[] {
  const config = readJson<{ name?: string; training?: { iterations?: number } }>(join(runDir, 'config.json'));
  const status = readJson<{ status: DashboardStatus; total?: number; message?: string }>(join(runDir, 'status.json'));
  const total = status?.total ?? config?.training?.iterations ?? 0;
  const out: ToDashboard[] = [{ type: 'reset', run: { runDir, name: config?.name ?? basename(runDir), total } }];
  const metricsFile = join(runDir, 'metrics.jsonl');
  if (existsSync(metricsFile)) {
    const records: MetricsRecord[] = [];
    for (const line of readFileSync(metricsFile, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        records.push(JSON.parse(line) as MetricsRecord);
      } catch {
        // a line torn by a killed run: skip it
      }
    }
    if (records.length) out.push({ type: 'metrics', records });
  }
  const samplesDir = join(runDir, 'samples');
  if (existsSync(samplesDir)) {
    const files = readdirSync(samplesDir).sort();
    for (const kind of ['one-step', 'mcmc'] as const) {
      const re = kind === 'mcmc' ? /^iter-(\d+)-mcmc\.png$/ : /^iter-(\d+)\.png$/;
      const newest = files.filter((f) => re.test(f)).pop();
      if (newest) out.push({ type: 'samples', kind, iteration: Number(re.exec(newest)![1]), src: toSrc(join(samplesDir, newest)) });
    }
  }
  if (status) out.push({ type: 'status', status: status.status, ...(status.message ? { message: status.message } : {}) });
  return out;
}

/** Human-readable formatting for CLI progress lines. */
import type { MetricsRecord } from '../engine/jobs/run.ts';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    r = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}

const num = (v: number): string => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(2) : v.toFixed(3));

export function formatMetrics(m: MetricsRecord): string {
  const parts = [`rec ${num(m.rec)}`, `kl ${num(m.kl)}`];
  if (m.cal !== undefined) parts.push(`cal ${num(m.cal)}`, `E+ ${num(m.eData!)}`, `E- ${num(m.eNeg!)}`);
  if (m.gap !== undefined) parts.push(`gap ${num(m.gap)}`);
  if (m.drift !== undefined && m.noise !== undefined) parts.push(`drift/noise ${num(m.drift)}/${num(m.noise)}`);
  parts.push(`lambda ${num(m.lambda)}`);
  return parts.join('  ');
}

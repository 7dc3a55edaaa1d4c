/** `ecvae sweep`: start or continue a sweep (local or Slurm), or print its state, or write its report. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { selectBackend } from '../../../engine/core/backend.ts';
import { defaultParallel } from '../../../engine/parallel/threads.ts';
import { runLocal } from '../../../sweep/local.ts';
import { readManifest, type SweepManifest } from '../../../sweep/manifest.ts';
import { makePlan } from '../../../sweep/plan.ts';
import { meanSd, sweepReport } from '../../../sweep/report.ts';
import { queueStates, requireSbatch, slurmOptArgs, submitSlurm } from '../../../sweep/slurm.ts';
import { countStates, sweepStates, type QueueEntry, type RunState } from '../../../sweep/state.ts';
import { emit, outOf, requireFile, inceptionOf } from '../../args.ts';
import type { SweepOptions } from './options.ts';

const say = (m: string): void => void process.stderr.write(m + '\n');

function table(states: RunState[]): string {
  const w = Math.max(...states.map((s) => s.name.length), 3);
  return states
    .map((s) => `  ${s.name.padEnd(w)}  ${s.state.padEnd(8)}  ${`${s.iteration}/${s.total}`.padStart(11)}${s.detail ? `  ${s.detail}` : ''}`)
    .join('\n');
}

const summary = (states: RunState[]): string =>
  Object.entries(countStates(states))
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');

/** The Slurm queue's view of a sweep's tasks; when squeue cannot answer, the run folders alone (with a note). */
function queueOf(m: SweepManifest): { queue?: Map<number, QueueEntry>; note?: string } {
  if (!m.slurm?.jobs.length) return {};
  try {
    return { queue: queueStates(m) };
  } catch (err) {
    return { note: `${(err as Error).message} States below come from the run folders only.` };
  }
}

async function status(dirIn: string, o: SweepOptions): Promise<number> {
  const dir = resolve(dirIn);
  const m = readManifest(dir);
  const { queue, note } = queueOf(m);
  const states = sweepStates(dir, m, queue);
  emit(
    outOf(o),
    { ok: true, dir, counts: countStates(states), runs: states, ...(note ? { note } : {}) },
    `${dir}: ${states.length} runs: ${summary(states)}\n${table(states)}${note ? `\nnote: ${note}` : ''}`,
  );
  return 0;
}

async function report(dirIn: string, o: SweepOptions): Promise<number> {
  const dir = resolve(dirIn);
  const m = readManifest(dir);
  const { queue } = queueOf(m);
  await selectBackend(o.backend ?? m.base.backend);
  const inception = inceptionOf(o, 'sweep');
  const r = await sweepReport(dir, { n: o.n, mcmcSteps: o.mcmcSteps, states: sweepStates(dir, m, queue), onLog: say, ...(inception ? { inception } : {}) });
  const main = r.mainMetric.name;
  emit(
    outOf(o),
    { ok: true, dir, report: `${dir}/report.md`, ...r },
    `wrote ${dir}/report.md, report.json and comparison.svg\n\n${readFileSync(`${dir}/report.md`, 'utf8')}\n` +
      r.points.map((p) => `${p.point} ${p.sampler}: ${main} ${p.metrics[main] ? meanSd(p.metrics[main]) : '-'}`).join('\n'),
  );
  return 0;
}

async function start(config: string, o: SweepOptions): Promise<number> {
  requireFile(config, 'config file');
  if (o.executor === 'slurm') {
    // Refused before the sweep folder is written.
    slurmOptArgs(o.slurmOpt ?? []);
    requireSbatch();
  }
  const plan = makePlan({ config, seeds: o.seeds, sets: o.set ?? [], out: o.out!, ...(o.iterations !== undefined ? { iterations: o.iterations } : {}) });
  for (const w of plan.warnings) say(w);
  const { dir, manifest: m, runs } = plan;
  say(
    `sweep ${dir}: ${runs.length} runs (${m.axes.map((a) => `${a.key} × ${a.values.length}`).join(', ') || 'one point'}, seeds ${o.seeds}), ${m.base.training.iterations} iterations each`,
  );
  if (o.executor === 'slurm') {
    const r = submitSlurm(dir, m, runs, { options: o.slurmOpt ?? [] });
    for (const s of r.skipped) say(`  ${s.run}: ${s.state}, not submitted`);
    if (r.jobId) say(`submitted Slurm job ${r.jobId}: ${r.submitted.length} array tasks (${r.script}); ecvae sweep --status ${o.out} follows them`);
    else say('nothing to submit: every run is finished, queued or running');
    let states = sweepStates(dir, m, queueOf(m).queue).filter((s) => runs.some((x) => x.name === s.name));
    if (o.wait && r.jobId) {
      for (;;) {
        await new Promise((res) => setTimeout(res, 2000));
        const now = readManifest(dir);
        states = sweepStates(dir, now, queueOf(now).queue).filter((s) => runs.some((x) => x.name === s.name));
        if (!states.some((s) => s.state === 'queued' || s.state === 'running')) break;
      }
      say(`${summary(states)}\n${table(states)}`);
    }
    const failed = states.filter((s) => s.state === 'failed').length;
    emit(outOf(o), {
      ok: failed === 0,
      dir,
      executor: 'slurm',
      ...(r.jobId ? { jobId: r.jobId } : {}),
      submitted: r.submitted,
      skipped: r.skipped,
      runs: states,
    });
    return failed ? 1 : 0;
  }

  const parallel = o.parallel ?? defaultParallel(m.base);
  const stop = new AbortController();
  const kill = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    if (++interrupts === 1) {
      say('\nstopping: every run checkpoints after its current iteration (Ctrl-C again to kill them now)...');
      stop.abort();
    } else kill.abort();
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, onSignal);
  let done = 0;
  let result;
  try {
    result = await runLocal(dir, m, runs, {
      parallel,
      stop: stop.signal,
      kill: kill.signal,
      events: {
        onLog: say,
        onStart: (run, pid) => say(`  ${run.name}: started (pid ${pid}, log logs/${run.name}.log)`),
        onEnd: (run, s) =>
          say(`  ${run.name}: ${s.state} at ${s.iteration}/${s.total} [${++done} done]${s.state === 'failed' && s.detail ? `: ${s.detail}` : ''}`),
      },
    });
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
  if (result.skipped.length) say(`  ${result.skipped.length} runs already finished or training elsewhere: skipped`);
  const states = sweepStates(dir, readManifest(dir)).filter((s) => runs.some((x) => x.name === s.name));
  const failed = states.filter((s) => s.state === 'failed').length;
  say(`${summary(states)}${result.stopped ? ' (stopped: run the same command again to resume)' : ''}; ecvae sweep --report ${o.out} evaluates them`);
  emit(outOf(o), { ok: failed === 0 && !result.stopped, dir, executor: 'local', parallel, stopped: result.stopped, skipped: result.skipped, runs: states });
  return result.stopped ? 130 : failed ? 1 : 0;
}

export async function run(config: string | undefined, o: SweepOptions): Promise<number> {
  if (o.status !== undefined) return status(o.status, o);
  if (o.report !== undefined) return report(o.report, o);
  return start(config!, o);
}

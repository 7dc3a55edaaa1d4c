/**
 * A reader that goes away: when whatever reads the CLI's stdout or stderr closes it (a
 * pipe into `head`, a closed terminal, a killed parent), the next write fails with EPIPE.
 * Unhandled, that error would end the process in the middle of a training iteration: no
 * final checkpoint, status left "running", the lock left behind. Here it is a stop
 * signal like Ctrl-C: `outputGone` aborts, the trainer stops after its iteration with a
 * checkpoint and status "stopped" and releases its lock, and later writes are dropped.
 */
export const outputGone = new AbortController();

let installed = false;

export function guardStdio(): void {
  if (installed) return;
  installed = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (!outputGone.signal.aborted) outputGone.abort(err);
    });
  }
}

/**
 * Cooperative cancellation for long engine work served over JSON-RPC (restoration,
 * sampling). Compute is synchronous TF.js, so a cancel message can only be read while
 * the event loop runs: long loops call `yieldAndCheck` between steps.
 */
export class CancelledError extends Error {
  constructor(what: string) {
    super(`${what} was cancelled.`);
    this.name = 'CancelledError';
  }
}

export function throwIfCancelled(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new CancelledError(what);
}

/** Lets pending I/O (such as a cancel request) run, then throws if `signal` was aborted. No-op without a signal. */
export async function yieldAndCheck(signal: AbortSignal | undefined, what: string): Promise<void> {
  if (!signal) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  throwIfCancelled(signal, what);
}

/**
 * A pause for long engine work served by the sidecar: awaited between steps, it yields
 * to the event loop once `everyMs` have passed since the last yield (other requests,
 * progress and `$/cancelRequest` get through), then throws CancelledError if `signal`
 * was aborted. Cheap to call every step.
 */
export function cooperativePause(signal: AbortSignal | undefined, what: string, everyMs = 50): () => Promise<void> {
  let last = performance.now();
  return async () => {
    throwIfCancelled(signal, what);
    if (performance.now() - last < everyMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    last = performance.now();
    throwIfCancelled(signal, what);
  };
}

/** Work written once as a generator that yields between steps: run at once (`runSteps`) or with a pause at each yield (`runStepsAsync`). */
export type Steps<T> = Generator<void, T, void>;

export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Awaits `pause` at each yield; if it throws (cancellation), the generator's `finally` blocks run before the error goes on. */
export async function runStepsAsync<T>(steps: Steps<T>, pause: () => Promise<void>): Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    try {
      await pause();
    } catch (err) {
      steps.return(undefined as never);
      throw err;
    }
  }
}

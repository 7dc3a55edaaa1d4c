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

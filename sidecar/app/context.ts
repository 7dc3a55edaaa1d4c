/**
 * What every use case may be given besides its params: the backend to run on, a signal
 * that cancels it (between steps), and where its log lines go. The CLI fills these from
 * flags and Ctrl-C; the sidecar from the request ($/cancelRequest) and `log` notifications.
 */
import type { BackendName } from '../engine/config/config.ts';

export interface UseCase {
  /** Default: "auto" (the fastest backend that loads). */
  backend?: BackendName | 'auto';
  signal?: AbortSignal;
  onLog?(message: string): void;
}

/**
 * The sidecar's methods: each protocol method checked against its params schema and
 * served by its use case (sidecar/app/), with engine errors turned into JSON-RPC errors
 * whose message is the engine's, written for users.
 */
import { JSONRPCErrorException, type JSONRPCServerAndClient } from 'json-rpc-2.0';
import { validateConfig } from '../app/config.ts';
import { fitPrior } from '../app/fitPrior.ts';
import { restore } from '../app/restore.ts';
import { listRuns, readRun } from '../app/runs.ts';
import { sample } from '../app/sample.ts';
import { RunManager, RunsError } from '../app/training.ts';
import { selectBackend } from '../engine/core/backend.ts';
import { CancelledError } from '../engine/core/cancel.ts';
import { ConfigError } from '../engine/config/config.ts';
import { UserError } from '../runLayout/errors.ts';
import { RunLockedError } from '../engine/store/runLock.ts';
import { paramsProblem } from '../params.ts';
import { ErrorCode, PROTOCOL_VERSION, type Methods, type NotificationName, type Notifications, type RestoreFrame } from '../protocol.ts';
import type { Readable, Writable } from 'node:stream';
import { serveLines, type RequestContext } from './rpc.ts';

/** Maps engine errors to JSON-RPC errors. */
function asRpcError(err: unknown): JSONRPCErrorException {
  if (err instanceof JSONRPCErrorException) return err;
  if (err instanceof CancelledError) return new JSONRPCErrorException(err.message, ErrorCode.RequestCancelled);
  if (err instanceof ConfigError) return new JSONRPCErrorException(err.message, ErrorCode.InvalidConfig, { kind: err.kind, diagnostics: err.diagnostics });
  if (err instanceof RunsError)
    return new JSONRPCErrorException(err.message, err.code === 'not-found' ? ErrorCode.RunNotFound : ErrorCode.Busy, { kind: err.kind });
  // The path a user error concerns travels with it, so a client can show or open the file.
  const where = (e: UserError): { path?: string } => (e.path ? { path: e.path } : {});
  if (err instanceof RunLockedError) return new JSONRPCErrorException(err.message, ErrorCode.Busy, { kind: err.kind, ...where(err) });
  if (err instanceof UserError) return new JSONRPCErrorException(err.message, ErrorCode.InvalidParams, { kind: err.kind, ...where(err) });
  return new JSONRPCErrorException(err instanceof Error ? err.message : String(err), ErrorCode.Failed);
}

/** Adds every protocol method to `rpc`; returns the training runs it owns (stopped on shutdown). */
export function addMethods(rpc: JSONRPCServerAndClient<RequestContext, void>): RunManager {
  const notify = <N extends NotificationName>(name: N, params: Notifications[N]): void => rpc.notify(name, params as never, undefined);
  const onLog = (message: string): void => notify('log', { message });
  const runs = new RunManager((runId) => ({
    onLog: (message) => notify('log', { message: `[${runId}] ${message}` }),
    onMetrics: (metrics, total) => notify('train/progress', { runId, metrics, total }),
    onSamples: (file, iteration, kind) => notify('train/samples', { runId, file, iteration, kind }),
    onCheckpoint: (file, iteration) => notify('train/checkpoint', { runId, file, iteration }),
    onFinished: (r) => notify('train/finished', { runId, status: r.status, iteration: r.iteration, ...(r.error ? { error: r.error } : {}) }),
  }));

  type Serve<M extends keyof Methods> = (p: Methods[M]['params'], ctx: RequestContext) => Promise<Methods[M]['result']> | Methods[M]['result'];
  const method = <M extends keyof Methods>(name: M, serve: Serve<M>): void => {
    rpc.addMethod(name, async (params, ctx) => {
      try {
        const problem = paramsProblem(name, params ?? {});
        if (problem) throw new JSONRPCErrorException(`${name}: ${problem}`, ErrorCode.InvalidParams);
        return await serve((params ?? {}) as Methods[M]['params'], ctx);
      } catch (err) {
        if (err instanceof CancelledError) onLog(`${name}: ${err.message}`);
        throw asRpcError(err);
      }
    });
  };

  method('initialize', async () => ({ protocolVersion: PROTOCOL_VERSION, backend: await selectBackend('auto'), pid: process.pid }));
  method('config/validate', (p) => validateConfig(p));
  method('train/start', (p) => runs.start(p));
  method('train/stop', (p) => runs.stop(p.runId));
  method('train/pause', (p) => runs.pause(p.runId));
  method('train/resume', (p) => runs.resume(p.runId));
  method('runs/list', (p) => listRuns(p));
  method('runs/read', (p) => readRun(p));
  method('sample', (p, { signal }) => sample(p, { signal }));
  method('prior/fit', (p, { signal }) => fitPrior(p, { signal, onLog }));
  method('restore', (p, { signal, progress }) =>
    restore(p, { signal, ...(progress ? { onFrame: { every: p.progressEvery ?? 5, frame: (f: RestoreFrame) => progress(f) } } : {}) }),
  );
  return runs;
}

export interface SidecarServer {
  /** Resolves when the input stream ends (or stop() is called) and active runs have stopped. */
  closed: Promise<void>;
  /** Stops every active run after its current iteration (each writes a checkpoint and "stopped"). */
  stop(): Promise<void>;
}

/** The sidecar on a pair of streams: the protocol's methods over line-delimited JSON-RPC. */
export function startServer(input: Readable, output: Writable, log: (message: string) => void = (m) => process.stderr.write(`sidecar: ${m}\n`)): SidecarServer {
  const { rpc, closed } = serveLines(input, output, log);
  const runs = addMethods(rpc);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= runs.stopAll());
  return { closed: closed.then(stop), stop };
}

/**
 * The sidecar's JSON-RPC 2.0 server over a pair of streams, one JSON message per line.
 * Every line gets the answer JSON-RPC 2.0 prescribes: -32700 for a line that is not
 * JSON, -32600 for JSON that is not a request, -32601 for an unknown method, -32602 for
 * params that break schemas/ecvae-protocol.schema.json (naming the param), and engine
 * errors become JSON-RPC errors with the engine's message. No line ends the process.
 */
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { JSONRPCClient, JSONRPCErrorException, JSONRPCServer, JSONRPCServerAndClient } from 'json-rpc-2.0';
import { sampleToFile } from '../engine/jobs/actions.ts';
import { restoreFile, type RestoreFrame } from '../engine/restore/restoreFile.ts';
import { selectBackend } from '../engine/core/backend.ts';
import { CancelledError } from '../engine/core/cancel.ts';
import { ConfigError, parseConfig } from '../engine/config/config.ts';
import { UserError } from '../engine/core/errors.ts';
import { FIT_PRIOR_DEFAULTS, fitPrior } from '../engine/jobs/fitPrior.ts';
import { paramsProblem } from '../params.ts';
import { ErrorCode, PROTOCOL_VERSION, type Methods, type NotificationName, type Notifications } from '../protocol.ts';
import { listRuns, readRunSnapshot, runFiles, RunLockedError } from '../engine/store/runFolder.ts';
import { RunManager, RunsError } from './runs.ts';

function invalid(message: string): never {
  throw new JSONRPCErrorException(message, ErrorCode.InvalidParams);
}

/**
 * Why a parsed line is not a JSON-RPC 2.0 request or notification (undefined when it is
 * one). Responses are not expected: the sidecar sends no requests.
 */
function notARequest(payload: unknown): string | undefined {
  if (Array.isArray(payload)) return 'batch requests are not supported; send one message per line';
  if (typeof payload !== 'object' || payload === null) return 'a request must be a JSON object';
  const p = payload as Record<string, unknown>;
  if (p.jsonrpc !== '2.0') return 'the "jsonrpc" member must be "2.0"';
  if (typeof p.method !== 'string' || !p.method) return 'the "method" member must be a non-empty string';
  if ('id' in p && !(typeof p.id === 'string' || (typeof p.id === 'number' && Number.isFinite(p.id)) || p.id === null))
    return 'the "id" member must be a string, a number or null';
  if ('params' in p && (typeof p.params !== 'object' || p.params === null)) return 'the "params" member must be an object or an array';
  return undefined;
}

/** Maps engine errors to JSON-RPC errors; the message is the engine's, written for users. */
function asRpcError(err: unknown): JSONRPCErrorException {
  if (err instanceof JSONRPCErrorException) return err;
  if (err instanceof CancelledError) return new JSONRPCErrorException(err.message, ErrorCode.RequestCancelled);
  if (err instanceof ConfigError) return new JSONRPCErrorException(err.message, ErrorCode.InvalidConfig, { kind: err.kind, diagnostics: err.diagnostics });
  if (err instanceof RunsError)
    return new JSONRPCErrorException(err.message, err.code === 'not-found' ? ErrorCode.RunNotFound : ErrorCode.Busy, { kind: err.kind });
  if (err instanceof RunLockedError) return new JSONRPCErrorException(err.message, ErrorCode.Busy);
  if (err instanceof UserError) return new JSONRPCErrorException(err.message, ErrorCode.InvalidParams, { kind: err.kind });
  return new JSONRPCErrorException(err instanceof Error ? err.message : String(err), ErrorCode.Failed);
}

export interface SidecarServer {
  /** Resolves when the input stream ends (or stop() is called) and active runs have stopped. */
  closed: Promise<void>;
  /** Stops every active run after its current iteration (each writes a checkpoint and "stopped"). */
  stop(): Promise<void>;
}

export function startServer(input: Readable, output: Writable): SidecarServer {
  const send = (payload: unknown): void => {
    output.write(JSON.stringify(payload) + '\n');
  };
  /** Per-request context: the signal that `$/cancelRequest` aborts. */
  interface RequestContext {
    signal: AbortSignal;
  }
  // The library reports every failing method here, answered or not (a notification has
  // nobody to answer): one log line naming the method, not a stack, and not "unexpected"
  // for the errors a user causes.
  const errorListener = (message: string, data: unknown): void => {
    const method = /"(.*)" JSON-RPC method/.exec(message)?.[1] ?? 'a method';
    const reason = data instanceof Error ? data.message : String(data);
    process.stderr.write(`sidecar: ${method} failed: ${reason}\n`);
  };
  const rpc = new JSONRPCServerAndClient(
    new JSONRPCServer<RequestContext>({ errorListener }),
    new JSONRPCClient((payload) => {
      send(payload);
      return Promise.resolve();
    }),
  );
  const notify = <N extends NotificationName>(name: N, params: Notifications[N]): void => rpc.notify(name, params as never, undefined);
  const runs = new RunManager((runId) => ({
    onLog: (message) => notify('log', { message: `[${runId}] ${message}` }),
    onMetrics: (metrics, total) => notify('train/progress', { runId, metrics, total }),
    onSamples: (file, iteration, kind) => notify('train/samples', { runId, file, iteration, kind }),
    onCheckpoint: (file, iteration) => notify('train/checkpoint', { runId, file, iteration }),
    onFinished: (r) => notify('train/finished', { runId, status: r.status, iteration: r.iteration, ...(r.error ? { error: r.error } : {}) }),
  }));

  type Run<M extends keyof Methods> = (p: Methods[M]['params'], signal: AbortSignal) => Promise<Methods[M]['result']> | Methods[M]['result'];
  const method = <M extends keyof Methods>(name: M, run: Run<M>): void => {
    rpc.addMethod(name, async (params, ctx) => {
      try {
        const problem = paramsProblem(name, params ?? {});
        if (problem) invalid(`${name}: ${problem}`);
        return await run((params ?? {}) as Methods[M]['params'], ctx.signal);
      } catch (err) {
        if (err instanceof CancelledError) notify('log', { message: `${name}: ${err.message}` });
        throw asRpcError(err);
      }
    });
  };

  method('initialize', async () => ({ protocolVersion: PROTOCOL_VERSION, backend: await selectBackend('auto'), pid: process.pid }));
  method('config/validate', (p) => {
    const r = parseConfig(p.text, p.baseDir);
    return r.ok ? { ok: true, diagnostics: r.warnings } : { ok: false, diagnostics: r.diagnostics };
  });
  method('train/start', (p) => runs.start(p));
  method('train/stop', (p) => {
    runs.stop(p.runId);
    return { runId: p.runId, stopping: true };
  });
  method('train/pause', (p) => {
    runs.pause(p.runId);
    return { runId: p.runId, paused: true };
  });
  method('train/resume', (p) => {
    runs.resume(p.runId);
    return { runId: p.runId, paused: false };
  });
  method('runs/list', (p) => ({ runs: listRuns(p.dir) }));
  method('runs/read', (p) => {
    const f = runFiles(p.runDir);
    if (!existsSync(f.status) && !existsSync(f.config)) throw new RunsError('not-found', `No run folder at ${p.runDir} (no status.json or config.json).`);
    return readRunSnapshot(p.runDir);
  });
  method('sample', async (p, signal) => {
    await selectBackend('auto');
    return sampleToFile(p, signal);
  });
  method('prior/fit', async ({ source, ...o }, signal) => {
    await selectBackend('auto');
    return fitPrior(source, { ...FIT_PRIOR_DEFAULTS, ...o, signal, onLog: (message) => notify('log', { message }) });
  });
  method('restore', async (p, signal) => {
    await selectBackend('auto');
    const { steps, stepSize, energyWeight, seed, progressToken, progressEvery, ...rest } = p;
    const options = {
      ...(steps ? { steps } : {}),
      ...(stepSize ? { stepSize } : {}),
      ...(energyWeight !== undefined ? { energyWeight } : {}),
      ...(seed !== undefined ? { seed } : {}),
    };
    const frames = progressToken
      ? { every: progressEvery ?? 5, frame: (f: RestoreFrame) => notify('restore/progress', { token: progressToken, ...f }) }
      : undefined;
    return restoreFile({ ...rest, options }, signal, frames);
  });

  // Cancellation as in the Language Server Protocol: a `$/cancelRequest` notification
  // with the request's id aborts that request's signal; the request then answers with
  // RequestCancelled. Unknown or finished ids are ignored (the race is inherent).
  const inFlight = new Map<string | number, AbortController>();
  const lines = createInterface({ input, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (!line.trim()) return;
    let payload: unknown;
    try {
      payload = JSON.parse(line);
    } catch {
      send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: each line must be one JSON-RPC message.' } });
      return;
    }
    const problem = notARequest(payload);
    const request = payload as { method: string; id?: string | number | null; params?: { id?: unknown } };
    if (problem) {
      const id = typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as { id?: unknown }).id : undefined;
      send({
        jsonrpc: '2.0',
        id: typeof id === 'string' || typeof id === 'number' ? id : null,
        error: { code: -32600, message: `Invalid request: ${problem}.` },
      });
      return;
    }
    if (request.method === '$/cancelRequest') {
      const id = request.params?.id;
      if (typeof id === 'string' || typeof id === 'number') inFlight.get(id)?.abort();
      return;
    }
    const id = typeof request.id === 'string' || typeof request.id === 'number' ? request.id : undefined;
    const abort = new AbortController();
    if (id !== undefined) inFlight.set(id, abort);
    rpc
      .receiveAndSend(request as Parameters<typeof rpc.receiveAndSend>[0], { signal: abort.signal }, undefined)
      .catch((err: unknown) => notify('log', { message: `internal error answering ${request.method}: ${err instanceof Error ? err.message : String(err)}` }))
      .finally(() => {
        if (id !== undefined && inFlight.get(id) === abort) inFlight.delete(id);
      });
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= runs.stopAll());
  const closed = new Promise<void>((resolveClosed) => lines.on('close', () => void stop().then(() => resolveClosed())));
  return { closed, stop };
}

/**
 * The sidecar's JSON-RPC 2.0 server over a pair of streams, one JSON message per line.
 * Every method validates its params and turns engine errors into JSON-RPC errors with
 * the engine's message, so a bad request never crashes the process.
 */
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { JSONRPCClient, JSONRPCErrorException, JSONRPCServer, JSONRPCServerAndClient } from 'json-rpc-2.0';
import { ActionError, restoreToFile, sampleToFile } from '../engine/actions.ts';
import { selectBackend } from '../engine/backend.ts';
import { CancelledError } from '../engine/cancel.ts';
import { parseConfig } from '../engine/config.ts';
import { RestoreError } from '../engine/restore/index.ts';
import { SamplerError } from '../engine/sample.ts';
import { ErrorCode, PROTOCOL_VERSION, type Methods, type NotificationName, type Notifications } from '../protocol.ts';
import { listRuns, readRunSnapshot, runFiles } from '../engine/runFolder.ts';
import { RunManager, RunsError } from './runs.ts';

type Params = Record<string, unknown>;

function invalid(message: string): never {
  throw new JSONRPCErrorException(message, ErrorCode.InvalidParams);
}

/** Checks a params object against a field spec: name -> type ('string' | 'number' | 'boolean'), '?' suffix = optional. */
function check(method: string, params: unknown, spec: Record<string, string>): Params {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) invalid(`${method}: params must be an object.`);
  const p = params as Params;
  for (const [name, t] of Object.entries(spec)) {
    const optional = t.endsWith('?');
    const type = t.replace('?', '');
    const v = p[name];
    if (v === undefined) {
      if (!optional) invalid(`${method}: missing required param "${name}" (${type}).`);
      continue;
    }
    if (typeof v !== type) invalid(`${method}: param "${name}" must be a ${type}, got ${JSON.stringify(v)}.`);
  }
  const unknown = Object.keys(p).filter((k) => !(k in spec));
  if (unknown.length) invalid(`${method}: unknown param(s) ${unknown.map((k) => `"${k}"`).join(', ')}.`);
  return p;
}

/** Maps engine errors to JSON-RPC errors; the message is the engine's, written for users. */
function asRpcError(err: unknown): JSONRPCErrorException {
  if (err instanceof JSONRPCErrorException) return err;
  if (err instanceof CancelledError) return new JSONRPCErrorException(err.message, ErrorCode.RequestCancelled);
  if (err instanceof RunsError) {
    const code = err.code === 'not-found' ? ErrorCode.RunNotFound : err.code === 'busy' ? ErrorCode.Busy : ErrorCode.InvalidConfig;
    return new JSONRPCErrorException(err.message, code);
  }
  if (err instanceof RestoreError || err instanceof ActionError || err instanceof SamplerError) return new JSONRPCErrorException(err.message, ErrorCode.InvalidParams);
  return new JSONRPCErrorException(err instanceof Error ? err.message : String(err), ErrorCode.Failed);
}

export interface SidecarServer {
  /** Resolves when the input stream ends and active runs have stopped. */
  closed: Promise<void>;
}

export function startServer(input: Readable, output: Writable): SidecarServer {
  const send = (payload: unknown): void => {
    output.write(JSON.stringify(payload) + '\n');
  };
  /** Per-request context: the signal that `$/cancelRequest` aborts. */
  interface RequestContext { signal: AbortSignal }
  const rpc = new JSONRPCServerAndClient(new JSONRPCServer<RequestContext>(), new JSONRPCClient((payload) => {
    send(payload);
    return Promise.resolve();
  }));
  const notify = <N extends NotificationName>(name: N, params: Notifications[N]): void => rpc.notify(name, params as never, undefined);
  const runs = new RunManager((runId) => ({
    onLog: (message) => notify('log', { message: `[${runId}] ${message}` }),
    onMetrics: (metrics, total) => notify('train/progress', { runId, metrics, total }),
    onSamples: (file, iteration, kind) => notify('train/samples', { runId, file, iteration, kind }),
    onCheckpoint: (file, iteration) => notify('train/checkpoint', { runId, file, iteration }),
    onFinished: (r) => notify('train/finished', { runId, status: r.status, iteration: r.iteration, ...(r.error ? { error: r.error } : {}) }),
  }));

  type Run<M extends keyof Methods> = (p: Methods[M]['params'], signal: AbortSignal) => Promise<Methods[M]['result']> | Methods[M]['result'];
  const method = <M extends keyof Methods>(name: M, spec: Record<string, string>, run: Run<M>): void => {
    rpc.addMethod(name, async (params, ctx) => {
      try {
        return await run(check(name, params ?? {}, spec) as Methods[M]['params'], ctx.signal);
      } catch (err) {
        if (err instanceof CancelledError) notify('log', { message: `${name}: ${err.message}` });
        throw asRpcError(err);
      }
    });
  };

  method('initialize', {}, async () => ({ protocolVersion: PROTOCOL_VERSION, backend: await selectBackend('auto'), pid: process.pid }));
  method('config/validate', { text: 'string', baseDir: 'string' }, (p) => {
    const r = parseConfig(p.text, p.baseDir);
    return r.ok ? { ok: true, diagnostics: r.warnings } : { ok: false, diagnostics: r.diagnostics };
  });
  method('train/start', { configPath: 'string', runDir: 'string?', iterations: 'number?', resume: 'boolean?' }, (p) => runs.start(p));
  method('train/stop', { runId: 'string' }, (p) => {
    runs.stop(p.runId);
    return { runId: p.runId, stopping: true };
  });
  method('train/pause', { runId: 'string' }, (p) => {
    runs.pause(p.runId);
    return { runId: p.runId, paused: true };
  });
  method('train/resume', { runId: 'string' }, (p) => {
    runs.resume(p.runId);
    return { runId: p.runId, paused: false };
  });
  method('runs/list', { dir: 'string' }, (p) => ({ runs: listRuns(p.dir) }));
  method('runs/read', { runDir: 'string' }, (p) => {
    const f = runFiles(p.runDir);
    if (!existsSync(f.status) && !existsSync(f.config)) throw new RunsError('not-found', `No run folder at ${p.runDir} (no status.json or config.json).`);
    return readRunSnapshot(p.runDir);
  });
  method('sample', { checkpoint: 'string', out: 'string', n: 'number?', seed: 'number?', mcmcSteps: 'number?' }, async (p, signal) => {
    await selectBackend('auto');
    const r = sampleToFile(p, signal);
    return { out: r.out, n: r.n, iteration: r.iteration, checkpoint: r.checkpoint };
  });
  method('restore', {
    checkpoint: 'string', image: 'string', task: 'string', out: 'string', mask: 'string?', factor: 'number?', sigma: 'number?',
    reference: 'string?', fromClean: 'boolean?', steps: 'number?',
  }, async (p, signal) => {
    if (!['inpaint', 'colorize', 'sr', 'denoise'].includes(p.task)) invalid(`restore: param "task" must be one of inpaint, colorize, sr, denoise (got "${p.task}").`);
    await selectBackend('auto');
    const { steps, ...rest } = p;
    return restoreToFile({ ...rest, ...(steps ? { options: { steps } } : {}) }, signal);
  });

  // Cancellation as in the Language Server Protocol: a `$/cancelRequest` notification
  // with the request's id aborts that request's signal; the request then answers with
  // RequestCancelled. Unknown or finished ids are ignored (the race is inherent).
  const inFlight = new Map<string | number, AbortController>();
  const lines = createInterface({ input, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (!line.trim()) return;
    let payload: { method?: unknown; id?: unknown; params?: { id?: unknown } };
    try {
      payload = JSON.parse(line);
    } catch {
      send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: each line must be one JSON-RPC message.' } });
      return;
    }
    if (payload?.method === '$/cancelRequest') {
      const id = payload.params?.id;
      if (typeof id === 'string' || typeof id === 'number') inFlight.get(id)?.abort();
      return;
    }
    const id = typeof payload?.method === 'string' && (typeof payload.id === 'string' || typeof payload.id === 'number') ? payload.id : undefined;
    const abort = new AbortController();
    if (id !== undefined) inFlight.set(id, abort);
    void rpc.receiveAndSend(payload, { signal: abort.signal }, undefined).finally(() => {
      if (id !== undefined && inFlight.get(id) === abort) inFlight.delete(id);
    });
  });
  const closed = new Promise<void>((resolveClosed) => {
    lines.on('close', () => {
      void runs.stopAll().then(() => resolveClosed());
    });
  });
  return { closed };
}

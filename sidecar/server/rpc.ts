/**
 * JSON-RPC 2.0 over a pair of streams, one JSON message per line, on json-rpc-2.0's
 * server. This layer knows the envelope, not the methods: it answers as the spec says
 * (-32700 for a line that is not JSON, -32600 for JSON that is not a request, batches
 * as arrays of responses, nothing for notifications), gives each request an AbortSignal
 * that `$/cancelRequest` aborts, and a progress reporter when its params carry a
 * `progressToken` and the protocol names a progress notification for its method.
 *
 * Ids come back exactly as they were parsed: strings and numbers up to 2^53 as sent;
 * an integer id beyond 2^53 loses precision in JSON.parse (as in any JavaScript peer),
 * so clients should use strings or small integers (the extension uses small integers).
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import {
  createJSONRPCErrorResponse,
  JSONRPCClient,
  JSONRPCErrorCode,
  JSONRPCServer,
  JSONRPCServerAndClient,
  type JSONRPCID,
  type JSONRPCRequest,
  type JSONRPCResponse,
} from 'json-rpc-2.0';
import { PROGRESS_NOTIFICATIONS } from '../protocol.ts';

/** What each method gets beside its params. */
export interface RequestContext {
  /** Aborted by `$/cancelRequest` with this request's id, and when the connection closes. */
  signal: AbortSignal;
  /** Sends the method's progress notification with the request's progressToken (absent without one). */
  progress?: (value: object) => void;
}

/** Why a parsed message is not a JSON-RPC 2.0 request or notification (undefined when it is one). */
function notARequest(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return 'a request must be a JSON object';
  const p = payload as Record<string, unknown>;
  if (p.jsonrpc !== '2.0') return 'the "jsonrpc" member must be "2.0"';
  if (typeof p.method !== 'string' || !p.method) return 'the "method" member must be a non-empty string';
  if ('id' in p && !(typeof p.id === 'string' || (typeof p.id === 'number' && Number.isFinite(p.id)) || p.id === null))
    return 'the "id" member must be a string, a number or null';
  if ('params' in p && (typeof p.params !== 'object' || p.params === null)) return 'the "params" member must be an object or an array';
  return undefined;
}

function invalidRequest(payload: unknown, problem: string): JSONRPCResponse {
  const id = typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as { id?: unknown }).id : undefined;
  const answerId: JSONRPCID = typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
  return createJSONRPCErrorResponse(answerId, JSONRPCErrorCode.InvalidRequest, `Invalid request: ${problem}.`);
}

/** `1` and `"1"` are different ids. */
const idKey = (id: JSONRPCID): string => JSON.stringify(id);

export interface LineServer {
  /** The library's server and client: add methods to it, send notifications through it. */
  rpc: JSONRPCServerAndClient<RequestContext, void>;
  /** Resolves when the input ends. */
  closed: Promise<void>;
}

/**
 * Serves `rpc`'s methods on `input`/`output`. `onError` hears every method that failed
 * (answered or not: a notification has nobody to answer) and every internal failure.
 */
export function serveLines(input: Readable, output: Writable, onError: (message: string) => void): LineServer {
  const send = (payload: unknown): void => {
    output.write(JSON.stringify(payload) + '\n');
  };
  const errorListener = (message: string, data: unknown): void => {
    const method = /"(.*)" JSON-RPC method/.exec(message)?.[1] ?? 'a method';
    onError(`${method} failed: ${data instanceof Error ? data.message : String(data)}`);
  };
  const server = new JSONRPCServer<RequestContext>({ errorListener });
  const rpc = new JSONRPCServerAndClient<RequestContext, void>(
    server,
    new JSONRPCClient<void>((payload) => {
      send(payload);
      return Promise.resolve();
    }),
  );

  // Cancellation as in the Language Server Protocol: `$/cancelRequest` with a request's
  // id aborts that request's signal. Unknown or finished ids are ignored (the race is inherent).
  const inFlight = new Map<string, AbortController>();
  const closing = new AbortController();
  server.addMethod('$/cancelRequest', (params) => {
    const id = (params as { id?: unknown } | undefined)?.id;
    if (typeof id === 'string' || typeof id === 'number') inFlight.get(idKey(id))?.abort();
  });
  server.applyMiddleware(async (next, request) => {
    const abort = new AbortController();
    const key = request.id !== undefined && request.id !== null ? idKey(request.id) : undefined;
    if (key !== undefined) inFlight.set(key, abort);
    const onClose = (): void => abort.abort();
    closing.signal.addEventListener('abort', onClose, { once: true });
    const notification = PROGRESS_NOTIFICATIONS[request.method as keyof typeof PROGRESS_NOTIFICATIONS];
    const token = (request.params as { progressToken?: unknown } | undefined)?.progressToken;
    const progress =
      notification && typeof token === 'string' ? (value: object) => rpc.notify(notification, { ...value, token } as never, undefined) : undefined;
    try {
      return await next(request, { signal: abort.signal, ...(progress ? { progress } : {}) });
    } finally {
      closing.signal.removeEventListener('abort', onClose);
      if (key !== undefined && inFlight.get(key) === abort) inFlight.delete(key);
    }
  });

  /** One message of a line (or of a batch): its response, or null for a notification. */
  const answer = async (payload: unknown): Promise<JSONRPCResponse | null> => {
    const problem = notARequest(payload);
    if (problem) return invalidRequest(payload, problem);
    const response = await server.receive(payload as JSONRPCRequest, { signal: closing.signal });
    return response;
  };

  const receive = async (line: string): Promise<void> => {
    let payload: unknown;
    try {
      payload = JSON.parse(line);
    } catch {
      send(createJSONRPCErrorResponse(null, JSONRPCErrorCode.ParseError, 'Parse error: each line must be one JSON-RPC message.'));
      return;
    }
    if (!Array.isArray(payload)) {
      // Refused at once, so that bad lines are answered in the order they came.
      const problem = notARequest(payload);
      if (problem) return send(invalidRequest(payload, problem));
      const response = await answer(payload);
      if (response) send(response);
      return;
    }
    // A batch: an array of responses (any order), nothing when all were notifications.
    if (payload.length === 0) {
      send(createJSONRPCErrorResponse(null, JSONRPCErrorCode.InvalidRequest, 'Invalid request: an empty batch.'));
      return;
    }
    const responses = (await Promise.all(payload.map(answer))).filter((r): r is JSONRPCResponse => r !== null);
    if (responses.length) send(responses);
  };

  const lines = createInterface({ input, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (!line.trim()) return;
    receive(line).catch((err: unknown) => onError(`internal error answering a message: ${err instanceof Error ? err.message : String(err)}`));
  });
  const closed = new Promise<void>((resolve) =>
    lines.on('close', () => {
      closing.abort();
      resolve();
    }),
  );
  return { rpc, closed };
}

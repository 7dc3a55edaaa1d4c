/**
 * The extension's side of the sidecar: spawns `node dist/sidecar.js`, speaks JSON-RPC 2.0
 * over its stdio with the types of sidecar/protocol.ts, and survives the sidecar dying:
 * pending requests are rejected with a clear SidecarDiedError, an active run is reported
 * as failed, and the next request starts a fresh sidecar. No `vscode` import here, so
 * it is tested against the real sidecar process.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { JSONRPCClient, JSONRPCErrorException, JSONRPCServer, JSONRPCServerAndClient } from 'json-rpc-2.0';
import {
  ErrorCode,
  NOTIFICATION_NAMES,
  PROGRESS_NOTIFICATIONS,
  type ClientNotifications,
  type Methods,
  type NotificationName,
  type Notifications,
  type TrainStartParams,
  type TrainStartResult,
} from '../sidecar/protocol.ts';

export class SidecarDiedError extends Error {
  constructor(
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderrTail: string,
  ) {
    super(
      `The EC-VAE sidecar stopped unexpectedly (${signal ? `signal ${signal}` : `exit code ${exitCode}`}). It will be restarted on the next command.${stderrTail ? `\nLast output:\n${stderrTail}` : ''}`,
    );
    this.name = 'SidecarDiedError';
  }
}

/** A request the caller cancelled (the sidecar answered RequestCancelled, or the caller gave up first). */
export class RequestCancelledError extends Error {
  constructor(method: string) {
    super(`${method} was cancelled.`);
    this.name = 'RequestCancelledError';
  }
}

export interface SidecarClientOptions {
  /** Path of the bundled sidecar entry (dist/sidecar.js). */
  sidecarPath: string;
  nodePath?: string;
  /** Each line the sidecar writes to stderr (its log). */
  onLog?: (line: string) => void;
  /** Called when the sidecar dies with runs active; each is then considered failed. */
  onDied?: (err: SidecarDiedError, activeRuns: string[]) => void;
  /** Extra environment for each sidecar process, read when it starts (e.g. where optional backends are installed). */
  env?: () => Record<string, string>;
}

type Handler<N extends NotificationName> = (params: Notifications[N]) => void;

/** The methods that report progress, and the params of their progress notifications. */
type ProgressMethod = keyof typeof PROGRESS_NOTIFICATIONS;
type ProgressOf<M> = M extends ProgressMethod ? Notifications[(typeof PROGRESS_NOTIFICATIONS)[M]] : never;

interface Connection {
  child: ChildProcessWithoutNullStreams;
  rpc: JSONRPCServerAndClient;
  pending: Set<(err: Error) => void>;
  stderrTail: string[];
  /** Ended on purpose (restartWhenIdle): its exit is no failure. */
  ending?: boolean;
}

export class SidecarClient {
  private conn: Connection | undefined;
  private readonly handlers = new Map<NotificationName, Set<(p: unknown) => void>>();
  private readonly activeRuns = new Set<string>();
  /** The progress callbacks of requests in flight, by the progressToken they were sent with. */
  private readonly progress = new Map<string, (p: unknown) => void>();
  private disposed = false;
  private restartPending = false;
  private nextId = 0;

  constructor(private readonly opts: SidecarClientOptions) {
    // Track active runs from the notifications themselves.
    this.on('train/finished', (p) => {
      this.activeRuns.delete(p.runId);
      if (this.restartPending && !this.activeRuns.size) void this.restartWhenIdle();
    });
  }

  /** The running sidecar's pid, if one is running. */
  get pid(): number | undefined {
    return this.conn?.child.pid;
  }

  on<N extends NotificationName>(name: N, handler: Handler<N>): { dispose(): void } {
    let set = this.handlers.get(name);
    if (!set) this.handlers.set(name, (set = new Set()));
    set.add(handler as (p: unknown) => void);
    return { dispose: () => set!.delete(handler as (p: unknown) => void) };
  }

  private connect(): Connection {
    if (this.disposed) throw new Error('The sidecar client has been disposed.');
    if (this.conn) return this.conn;
    // Inside VS Code process.execPath is Electron: ELECTRON_RUN_AS_NODE makes it a plain Node.
    const child = spawn(this.opts.nodePath ?? process.execPath, [this.opts.sidecarPath], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...this.opts.env?.(), ELECTRON_RUN_AS_NODE: '1' },
    });
    const server = new JSONRPCServer();
    for (const name of NOTIFICATION_NAMES) {
      server.addMethod(name, (params) => {
        const token = (params as { token?: unknown } | undefined)?.token;
        if (typeof token === 'string') this.progress.get(token)?.(params);
        for (const h of this.handlers.get(name) ?? []) h(params);
      });
    }
    const rpc = new JSONRPCServerAndClient(
      server,
      new JSONRPCClient((payload) => {
        if (child.stdin.writable) child.stdin.write(JSON.stringify(payload) + '\n');
        return Promise.resolve();
      }),
    );
    const conn: Connection = { child, rpc, pending: new Set(), stderrTail: [] };
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        void rpc.receiveAndSend(JSON.parse(line), undefined, undefined);
      } catch {
        this.opts.onLog?.(`sidecar wrote a non-JSON line on stdout: ${line.slice(0, 200)}`);
      }
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      conn.stderrTail.push(line);
      if (conn.stderrTail.length > 20) conn.stderrTail.shift();
      this.opts.onLog?.(line);
    });
    child.on('exit', (code, signal) => {
      if (this.conn === conn) this.conn = undefined;
      const err = new SidecarDiedError(code, signal, conn.stderrTail.join('\n'));
      // Our reject first: the library's own rejection below only says "sidecar exited".
      for (const reject of conn.pending) reject(err);
      conn.pending.clear();
      rpc.rejectAllPendingRequests('sidecar exited');
      if (this.disposed || conn.ending) return;
      const runs = [...this.activeRuns];
      this.activeRuns.clear();
      for (const runId of runs) {
        for (const h of this.handlers.get('train/finished') ?? [])
          h({ runId, status: 'failed', iteration: -1, error: err.message } satisfies Notifications['train/finished']);
      }
      this.opts.onDied?.(err, runs);
    });
    child.on('error', (e) => this.opts.onLog?.(`could not start the sidecar: ${e.message}`));
    this.conn = conn;
    return conn;
  }

  /**
   * Sends a typed request; rejects with SidecarDiedError if the sidecar dies first, with
   * the sidecar's JSON-RPC error (code and message) if it refuses, and with
   * RequestCancelledError once `signal` aborts (the sidecar is told with `$/cancelRequest`).
   * `onProgress`, for a method that reports progress, hears each progress notification of
   * this request (the request goes with a progressToken of its own).
   */
  request<M extends keyof Methods>(
    method: M,
    params: Methods[M]['params'],
    signal?: AbortSignal,
    onProgress?: (p: ProgressOf<M>) => void,
  ): Promise<Methods[M]['result']> {
    if (signal?.aborted) return Promise.reject(new RequestCancelledError(method));
    const conn = this.connect();
    const id = ++this.nextId;
    const token = onProgress && method in PROGRESS_NOTIFICATIONS ? `${process.pid}-${id}` : undefined;
    if (token) this.progress.set(token, onProgress as (p: unknown) => void);
    const sent = token ? { ...params, progressToken: token } : params;
    return new Promise<Methods[M]['result']>((resolve, reject) => {
      const onAbort = (): void => {
        this.notify(conn, '$/cancelRequest', { id });
        settle(() => reject(new RequestCancelledError(method)));
      };
      const settle = (f: () => void): void => {
        if (!conn.pending.delete(reject)) return;
        signal?.removeEventListener('abort', onAbort);
        if (token) this.progress.delete(token);
        f();
      };
      conn.pending.add(reject);
      signal?.addEventListener('abort', onAbort, { once: true });
      conn.rpc.requestAdvanced({ jsonrpc: '2.0', id, method, params: sent as never }, undefined).then(
        (response) =>
          settle(() => {
            if (response.error) {
              const { code, message, data } = response.error;
              reject(code === ErrorCode.RequestCancelled ? new RequestCancelledError(method) : new JSONRPCErrorException(message, code, data));
              return;
            }
            resolve(response.result as Methods[M]['result']);
          }),
        (err: unknown) => settle(() => reject(err)),
      );
    });
  }

  /** Starts a training run and follows it: if the sidecar dies, the run is reported as failed (`train/finished`). */
  async startTraining(params: TrainStartParams, signal?: AbortSignal): Promise<TrainStartResult> {
    const r = await this.request('train/start', params, signal);
    this.activeRuns.add(r.runId);
    return r;
  }

  private notify<N extends keyof ClientNotifications>(conn: Connection, name: N, params: ClientNotifications[N]): void {
    conn.rpc.notify(name, params as never, undefined);
  }

  /**
   * Ends the sidecar process if no run is training, so that the next request starts one
   * that sees a changed environment (a backend just installed). Resolves false, leaving it
   * running, while a run trains: it then ends once the last run has finished.
   */
  async restartWhenIdle(): Promise<boolean> {
    const conn = this.conn;
    if (!conn) return true;
    this.restartPending = this.activeRuns.size > 0;
    if (this.restartPending) return false;
    this.conn = undefined;
    conn.ending = true;
    await new Promise<void>((resolve) => {
      conn.child.once('exit', () => resolve());
      conn.child.stdin.end();
    });
    return true;
  }

  /** Stops the sidecar (its active runs stop at the next iteration and checkpoint). */
  async dispose(): Promise<void> {
    this.disposed = true;
    const conn = this.conn;
    if (!conn) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => conn.child.kill('SIGKILL'), 10_000);
      conn.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      conn.child.stdin.end();
    });
  }
}

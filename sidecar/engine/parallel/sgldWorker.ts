/**
 * Worker thread of the SGLD pool: builds the same model on its own TF.js backend and runs
 * SGLD chains on the rows it is given. Messages: init -> ready | error; run -> result | error.
 */
console.log = console.error; // a worker's stdout is the process's stdout: keep it clean
console.info = console.error;

import { parentPort } from 'node:worker_threads';
import { selectBackend } from '../backend.ts';
import type { BackendName, ModelConfig } from '../config.ts';
import { buildModel, type EcvaeModel } from '../models/index.ts';
import { disposeParams, type Params } from '../params.ts';
import { sgld, type SgldOptions } from '../sgld.ts';
import * as tf from '../tf.ts';

export interface PackedTensor {
  shape: number[];
  data: Float32Array;
}

export type WorkerRequest =
  | { kind: 'init'; model: ModelConfig; dataShape: number[]; backend: BackendName }
  | { kind: 'run'; id: number; params: Record<string, PackedTensor>; start: PackedTensor; opts: SgldOptions };

export type WorkerReply =
  | { kind: 'ready' }
  | { kind: 'result'; id: number; out: PackedTensor }
  | { kind: 'error'; id?: number; message: string };

let model: EcvaeModel | undefined;
const port = parentPort!;

port.on('message', (msg: WorkerRequest) => {
  void (async () => {
    try {
      if (msg.kind === 'init') {
        await selectBackend(msg.backend);
        model = buildModel(msg.model, msg.dataShape);
        port.postMessage({ kind: 'ready' } satisfies WorkerReply);
        return;
      }
      if (!model) throw new Error('SGLD worker used before init');
      const m = model;
      const params: Params = Object.fromEntries(Object.entries(msg.params).map(([k, t]) => [k, tf.tensor(t.data, t.shape)]));
      const start = tf.tensor(msg.start.data, msg.start.shape);
      const out = sgld((v) => m.energy(params, v, true), start, start, msg.opts);
      const data = (out.dataSync() as Float32Array).slice();
      const reply: WorkerReply = { kind: 'result', id: msg.id, out: { shape: out.shape, data } };
      out.dispose();
      start.dispose();
      disposeParams(params);
      port.postMessage(reply, [data.buffer as ArrayBuffer]);
    } catch (err) {
      port.postMessage({ kind: 'error', ...(msg.kind === 'run' ? { id: msg.id } : {}), message: (err as Error).message } satisfies WorkerReply);
    }
  })();
});

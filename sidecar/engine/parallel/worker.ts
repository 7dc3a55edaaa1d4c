/**
 * Worker thread of the data-parallel pool: builds the same model on its own TF.js
 * backend and computes its share of the batch: SGLD chains on the rows it is given (or
 * on the decoder's samples of the base noise it is given), or the gradients of an
 * objective on them. Messages: init -> ready | error;
 * sgld | grads -> result | error.
 */
console.log = console.error; // a worker's stdout is the process's stdout: keep it clean
console.info = console.error;

import { parentPort } from 'node:worker_threads';
import { selectBackend } from '../core/backend.ts';
import { buildModel, generateFrom, type EcvaeModel } from '../models/index.ts';
import { objectiveGrads } from '../algorithm/objectives.ts';
import { disposeParams, type Params } from '../core/params.ts';
import { sgldChain } from '../algorithm/sgld.ts';
import * as tf from '../core/tf.ts';
import { pack, prefixKeys, unpack, UPDATE_PREFIX, type PackedTensor, type PackedTensors, type WorkerReply, type WorkerRequest } from './messages.ts';

function compute(m: EcvaeModel, msg: Extract<WorkerRequest, { kind: 'sgld' | 'grads' }>): Record<string, tf.Tensor> {
  const params: Params = unpack(msg.params);
  try {
    if (msg.kind === 'sgld') {
      // A start made here (the decoder's samples) goes back with the chains; a given one does not.
      const given = 'start' in msg.from;
      const start = 'start' in msg.from ? tf.tensor(msg.from.start.data, msg.from.start.shape) : priorSamples(m, msg.from.decoder, msg.from.latents);
      try {
        const { x, drift } = sgldChain((v) => m.energy(params, v), start, start, msg.opts);
        if (!given) return { x, drift, start };
        start.dispose();
        return { x, drift };
      } catch (err) {
        start.dispose();
        throw err;
      }
    }
    const inputs = unpack(msg.inputs);
    const { grads, terms, updates } = objectiveGrads(m, msg.objective, params, inputs, msg.opts);
    disposeParams(inputs);
    return { ...grads, terms, ...prefixKeys(updates, UPDATE_PREFIX) };
  } finally {
    disposeParams(params);
  }
}

/** G(n) for the decoder's parameters and base noise n (models/prior.ts generateFrom). */
function priorSamples(m: EcvaeModel, decoder: PackedTensors, latents: PackedTensor): tf.Tensor {
  const p = unpack(decoder);
  const n = tf.tensor2d(latents.data, latents.shape as [number, number]);
  const s = tf.tidy(() => generateFrom(m, p, n));
  disposeParams({ ...p, n });
  return s;
}

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
      if (!model) throw new Error('pool worker used before init');
      const result = compute(model, msg);
      const out = Object.fromEntries(Object.entries(result).map(([k, t]) => [k, pack(t)]));
      disposeParams(result);
      port.postMessage(
        { kind: 'result', id: msg.id, out } satisfies WorkerReply,
        Object.values(out).map((t) => t.data.buffer as ArrayBuffer),
      );
    } catch (err) {
      port.postMessage({ kind: 'error', ...(msg.kind !== 'init' ? { id: msg.id } : {}), message: (err as Error).message } satisfies WorkerReply);
    }
  })();
});

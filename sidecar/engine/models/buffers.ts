/**
 * Buffer updates: the state a training forward pass changes besides the parameters
 * (BatchNorm running statistics, spectral norm's power-iteration vector; params.ts
 * ParamSpec.buffer). Models stay pure functions of (params, inputs): a layer proposes the
 * new value of its buffer with `proposeBuffer`, and only a pass run inside
 * `collectBufferUpdates` keeps the proposals. The trainer runs the objectives that way and
 * writes the new values after the optimiser step; sampling, SGLD and restoration run
 * without a collector, so they never change a model.
 *
 * A buffer proposed twice in one collection (the decoder runs on posterior and prior
 * latents in the VAE objective) is updated twice in order, as PyTorch's in-place
 * momentum update would: `currentBuffer` reads the value proposed so far.
 */
import * as tf from '../core/tf.ts';
import { param, type Params } from '../core/params.ts';

let active: Map<string, tf.Tensor> | undefined;

/** Runs `f` and returns the buffer values its forward passes proposed (kept tensors, the caller's to dispose). */
export function collectBufferUpdates<T>(f: () => T): { result: T; updates: Params } {
  const outer = active;
  const updates = new Map<string, tf.Tensor>();
  active = updates;
  try {
    return { result: f(), updates: Object.fromEntries(updates) };
  } catch (e) {
    updates.forEach((t) => t.dispose());
    throw e;
  } finally {
    active = outer;
  }
}

/** Whether the current pass keeps buffer proposals (a training pass). */
export function collectingBuffers(): boolean {
  return active !== undefined;
}

/** The buffer's value as updated so far in this collection, else its stored value. */
export function currentBuffer(p: Params, name: string): tf.Tensor {
  return active?.get(name) ?? param(p, name);
}

/** Proposes `value` as the buffer's new value; ignored outside a collection. */
export function proposeBuffer(name: string, value: tf.Tensor): void {
  if (!active) return;
  active.get(name)?.dispose();
  active.set(name, tf.keep(value));
}

/**
 * Replaces buffers of `p` by `updates` (disposing the old tensors and the updates not
 * used). Names `p` lacks are an internal error: a model proposed a buffer it did not declare.
 */
export function applyBufferUpdates(p: Params, updates: Params): void {
  for (const [name, value] of Object.entries(updates)) {
    const old = p[name];
    if (!old) throw new Error(`internal: buffer update for unknown tensor "${name}"`);
    old.dispose();
    p[name] = value;
  }
}

let evalDepth = 0;

/**
 * Runs `f` in eval mode: BatchNorm normalises with its running statistics instead of the
 * batch's (models/paperLayers.ts). Test-time passes (sampling, restoration) run this way,
 * so an image's output does not depend on the other images of its batch: with batch
 * statistics, one image restored alone would be normalised by its own mean and variance.
 * Synchronous only: an async caller wraps each synchronous part, so that work
 * interleaved at its awaits (a training job) keeps training mode.
 */
export function inEvalMode<T>(f: () => T): T {
  evalDepth++;
  try {
    return f();
  } finally {
    evalDepth--;
  }
}

/** Whether the current pass runs in eval mode (`inEvalMode`); a training pass (`collectBufferUpdates`) never does. */
export function evalMode(): boolean {
  return evalDepth > 0 && active === undefined;
}

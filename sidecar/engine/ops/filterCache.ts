/**
 * Tensors derived from filters (flipped filters, Winograd transforms, sub-pixel filters),
 * kept while the same filters serve many passes: the K steps of an SGLD chain, the steps
 * of a restoration, the passes of one gradient computation through a layer. Keyed by the
 * filter's data and the kind (tensors are immutable and data objects never reused). Only
 * one scope is active at a time; scopes run synchronously. Spectrally normalised weights
 * are kept the same way (spectralNorm.ts), so a chain's steps share one weight tensor and
 * every transform made from it.
 */
import * as tf from '../core/tf.ts';

type Derived = tf.Tensor | tf.Tensor[];
/**
 * By the filter's data (its dataId), then kind. Not by tensor id: the gradient tape saves
 * a clone of each input with a new id but the same data, so a trainable op's backward
 * pass would miss what its forward pass made.
 */
type Entries = Map<object, Map<string, Derived>>;
let activeCache: Entries | undefined;

/** A cache for a stretch of passes whose filters do not change; see FilterCache.run. */
export class FilterCache {
  private readonly derived: Entries = new Map();

  /** Runs `f` (synchronously) with this cache serving every convolution in it. */
  run<T>(f: () => T): T {
    const outer = activeCache;
    activeCache = this.derived;
    try {
      return f();
    } finally {
      activeCache = outer;
    }
  }

  dispose(): void {
    this.derived.forEach((kinds) => kinds.forEach((t) => tf.dispose(t)));
    this.derived.clear();
  }
}

/** Runs `f` with a fresh FilterCache, disposed at the end. */
export function withFilterCache<T>(f: () => T): T {
  const cache = new FilterCache();
  try {
    return cache.run(f);
  } finally {
    cache.dispose();
  }
}

/** A serial number per tensor data object, to name derived tensors of several inputs. */
const serials = new WeakMap<object, number>();
let nextSerial = 0;
const serialOf = (t: tf.Tensor): number => {
  let n = serials.get(t.dataId);
  if (n === undefined) serials.set(t.dataId, (n = nextSerial++));
  return n;
};

/**
 * make(), made once per active FilterCache scope for the filter w, this kind and the data
 * of `also` (other inputs it is made from), kept there; outside a scope, every call.
 * Kernels and gradient functions call it, off the tape: a cached tensor is a value, never
 * a step a gradient has to go back through.
 */
export function derived<T extends Derived>(kind: string, w: tf.Tensor, make: () => T, also: readonly tf.Tensor[] = []): T {
  if (!activeCache) return make();
  let kinds = activeCache.get(w.dataId);
  if (!kinds) activeCache.set(w.dataId, (kinds = new Map()));
  const key = also.length ? `${kind} ${also.map(serialOf).join(' ')}` : kind;
  let t = kinds.get(key) as T | undefined;
  if (!t) {
    t = make();
    for (const k of Array.isArray(t) ? t : [t]) tf.keep(k);
    kinds.set(key, t);
  }
  return t;
}

/** Whether a FilterCache scope is active (Winograd's thresholds are lower when U is reused). */
export const filterCacheActive = (): boolean => activeCache !== undefined;

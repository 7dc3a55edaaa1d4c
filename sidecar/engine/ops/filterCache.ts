/**
 * Tensors derived from filters (flipped filters, Winograd transforms, sub-pixel filters),
 * kept while the same filters serve many passes: the K steps of an SGLD chain, the steps
 * of a restoration, the passes of one gradient computation through a layer. Keyed by the
 * filter's data and the kind (tensors are immutable and data objects never reused). Only
 * one scope is active at a time; scopes run synchronously.
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

/** make(), made once per active FilterCache scope for the filter w and this kind (kept there); outside a scope, every call. */
export function derived<T extends Derived>(kind: string, w: tf.Tensor, make: () => T): T {
  if (!activeCache) return make();
  let kinds = activeCache.get(w.dataId);
  if (!kinds) activeCache.set(w.dataId, (kinds = new Map()));
  let t = kinds.get(kind) as T | undefined;
  if (!t) {
    t = make();
    for (const k of Array.isArray(t) ? t : [t]) tf.keep(k);
    kinds.set(kind, t);
  }
  return t;
}

/**
 * A tensor derived from weights (a spectrally normalised or rearranged filter) for a
 * frozen pass, made once per FilterCache scope and kept there. Frozen ops hold their
 * weights in a closure rather than in the saved tensors, so a weight computed inside the
 * pass would be disposed before the backward pass reads it. Undefined outside a scope:
 * the caller then runs the trainable op, which saves its weights.
 */
export function cachedDerived<T extends tf.Tensor>(kind: string, w: tf.Tensor, make: () => T): T | undefined {
  return activeCache ? derived(kind, w, () => tf.tidy(make)) : undefined;
}

/** Whether a FilterCache scope is active (Winograd's thresholds are lower when U is reused). */
export const filterCacheActive = (): boolean => activeCache !== undefined;

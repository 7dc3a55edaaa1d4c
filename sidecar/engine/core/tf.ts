/**
 * The one TF.js entry point of the engine. tfjs-core's Node bundle registers neither
 * gradients nor Tensor's chained methods; the union package's Node bundle registers both
 * (into tfjs-core's global registries), so it is imported here once, for that side
 * effect. All compute goes through the tfjs-core API re-exported below.
 */
import '@tensorflow/tfjs';
export * from '@tensorflow/tfjs-core';
// Graph models (a user's Inception network for FID) from the union package's converter.
export { loadGraphModelSync, type GraphModel } from '@tensorflow/tfjs';

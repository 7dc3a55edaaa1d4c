// Types only: brings in the declarations of Tensor's chained methods (x.add(y), x.mean(), ...).
// At run time sidecar/engine/core/tf.ts registers them (through @tensorflow/tfjs); this file emits no code.
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';

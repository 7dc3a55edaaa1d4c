// The entry of our WASM kernel module (scripts/build-kernels.mjs compiles this file into
// sidecar/engine/ops/wasm-kernels.generated.ts): every kernel the TF.js ops call, in one
// module on the WASM backend's memory (ops/wasmKernels.ts declares these exports).
export { conv, convScratchBytes, filterGrad, filterGradScratchBytes, filterTransform, filterScratchBytes } from './winograd'; // Winograd F(4x4,3x3) (ops/winograd.ts)
export { gemm } from './gemm'; // for bench:kernels, which times it against tf.matMul
export { normalRows } from './noise'; // the SGLD noise (ops/rowNoise.ts)
export { langevinStep } from './langevin'; // the SGLD step after the energy's gradient (ops/langevin.ts)
export { narrowConv, narrowConvGrad, narrowScratchBytes } from './narrow'; // RGB-side convolutions (ops/convNarrow.ts)
export { headBackward, headForward } from './head'; // the energy's head (ops/energyHead.ts)

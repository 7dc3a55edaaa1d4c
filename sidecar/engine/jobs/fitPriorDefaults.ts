/** The defaults of `ecvae fit-prior`'s flags and the sidecar's prior/fit params; free of TF.js, so the CLI's help can show them. */
export const FIT_PRIOR_DEFAULTS = { iterations: 2000, batchSize: 256, learningRate: 1e-3 } as const;

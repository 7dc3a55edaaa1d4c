/** Where test-time MCMC runs (algorithm/sample.ts): plain data, free of TF.js, so the CLI's help can show it. */
export type McmcSpace = 'pixel' | 'latent';
export const MCMC_SPACES: readonly McmcSpace[] = ['pixel', 'latent'];
export const MCMC_SPACE_HELP =
  "where MCMC refinement runs: 'pixel' moves the decoded samples; 'latent' moves their latents on the energy of the decoded sample and the prior, then decodes (the official code's sgld_z)";

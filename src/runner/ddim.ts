/** The DDIM sampler lives with the LMDM model (src/models/ditto/ddim.ts), where the diffusion-loop pass reads its schedule too. */
export * from '../models/ditto/ddim.js';

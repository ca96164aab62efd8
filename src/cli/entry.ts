/** Entry of the bundled CLI (the GPU machine runs `node .gpubundle/workbench.mjs ...`). */
import { main } from './main.js';

process.exitCode = await main(process.argv);

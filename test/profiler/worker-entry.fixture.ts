// Entry of the child-process test: what `workbench profile --worker <job>` does, bundled alone.
import { runWorkerJob } from '../../src/profiler/worker.js';

await runWorkerJob(process.argv[2] as string);

/**
 * The real CLI (src/cli/main.ts, every command and flag) with the fake sweep driver injected through
 * `main(argv, { sweep: { createDriver } })`, for tests that need real child processes (shards as pods,
 * SIGKILL, `--devices` workers, which fork this same entry). FAKE_SWEEP_DELAY_MS makes each run sleep.
 */
import { main } from '../../../src/cli/main.js';
import { createFakeDriver } from './fake-driver.js';

const delayMs = Number(process.env.FAKE_SWEEP_DELAY_MS ?? '0');
process.exitCode = await main(process.argv, { sweep: { createDriver: () => createFakeDriver({ delayMs }) } });

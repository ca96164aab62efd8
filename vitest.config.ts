import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Two cores: running more files at once only makes each slower and blows memory.
    maxWorkers: 2,
    // One intra-op thread for CPU sessions that do not set intraOpThreads (src/runtime/index.ts,
    // withEnvDefaults): ORT's default of one spinning thread per core oversubscribes two forks on two cores.
    env: { WB_DEFAULT_INTRA_OP_THREADS: '1' },
  },
});

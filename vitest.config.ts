import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests spawn compilers and QEMU: processes, not threads, and generous per-test time.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

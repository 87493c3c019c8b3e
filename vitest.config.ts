import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests each create their own database / broker on ephemeral ports, so files can run in parallel,
    // but this machine has two cores: keep the pool small so timing-sensitive tests are not starved.
    maxWorkers: 2,
    reporters: ['default'],
  },
});

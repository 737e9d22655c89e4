import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'sdk/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: parallel files help, but PostgreSQL and Chromium tests are heavy.
    maxWorkers: 2,
    reporters: ['default'],
  },
});

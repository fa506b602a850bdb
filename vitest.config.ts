import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{proto-schemas,services,edge,central}/{src,bench}/**/*.test.ts', 'test/src/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // the JSON report lets .ci/run print a plain 'N passed, N failed' closing line
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});

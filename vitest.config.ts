import { defineConfig } from 'vitest/config';

// Unit tests run in parallel; everything that touches the kernel sandbox, Redis, Postgres, Docker or a
// browser runs serially so that tests do not fight over the machine's two cores and skew limits.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{common,executor,webapp,controller,grafana,prometheus,scripts}/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{common,executor,webapp,controller,grafana,prometheus,test}/**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});

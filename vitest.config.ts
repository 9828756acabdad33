import { defineConfig } from 'vitest/config';

// Every test file runs on the embedded engine (PGlite); when TEST_DATABASE_URL is set the
// same files run a second time against that PostgreSQL server as the project "postgres".
const engines = ['pglite', ...(process.env.TEST_DATABASE_URL ? ['postgres'] : [])];

export default defineConfig({
  test: {
    globalSetup: ['./src/platform/db/test-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the CPUs: one file at a time on a 2-core CI
    // machine. Files are independent (each has its own database), so two run side by side.
    maxWorkers: 2,
    reporters: ['default', './src/platform/test-summary-reporter.ts'],
    projects: engines.map((engine) => ({
      extends: true,
      test: {
        name: engine,
        include: ['src/**/*.test.ts', 'bench/**/*.test.ts'],
        provide: { engine },
      },
    })),
  },
});

// Two projects, split by whether a test needs services:
//  - integration: test/db/** and any *.int.test.ts. Its global setup finds
//    PostgreSQL/Redis and builds the migrated template database that
//    test/setup/db.ts clones per file. Name a new test that talks to a service
//    *.int.test.ts (or put it under test/db/).
//  - unit: every other test (the pure engine, examples, properties): no services.
//    `npm run test:unit` runs only these.
// `npm test` runs both.
import { defineConfig } from 'vitest/config';

const integrationTests = ['test/db/**/*.test.ts', 'test/**/*.int.test.ts'];

export default defineConfig({
  test: {
    // Child processes rather than threads: pg pools and, later, BullMQ workers keep
    // sockets and process-wide state that threads would share.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    setupFiles: ['test/setup/leak-hooks.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: integrationTests } },
      {
        extends: true,
        test: { name: 'integration', include: integrationTests, globalSetup: ['test/setup/global-setup.ts'] },
      },
    ],
  },
});

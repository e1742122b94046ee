import path from 'node:path';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { DEV_DEFINE, DEV_VARS } from './scripts/dev-defaults.mjs';

/**
 * Four projects: `worker` runs inside workerd with real D1/Queue/R2 bindings; `browser` runs in Node and drives
 * real Chromium against a locally started collector; `archive` runs in Node and reads a local collector's Parquet
 * archive with DuckDB; `deploy` runs in Node and checks what `wrangler deploy` would ship.
 * The worker tests get the local development defaults the way `npm start` does (scripts/dev-defaults.mjs):
 * the dev secrets as bindings and `__TP_DEV__` as a define. wrangler.toml itself has neither.
 */
export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, 'worker/migrations'));
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest({
              main: './worker/src/index.ts',
              wrangler: { configPath: './wrangler.toml' },
              miniflare: {
                bindings: { ...DEV_VARS, TEST_MIGRATIONS: migrations, TP_DEST_TEST_SECRET: 'dest-secret', TP_KEY_RATE_PER_MINUTE: '40', TP_WRITE_KEY_RATE_PER_MINUTE: '20' },
              },
            }),
          ],
          define: { ...DEV_DEFINE }, // a copy: vitest moves defines to globalThis, deleting them from this object
          test: {
            name: 'worker',
            include: ['worker/**/*.test.ts', 'shared/**/*.test.ts', 'test/contract/**/*.test.ts'],
            setupFiles: ['./worker/test/apply-migrations.ts'],
            globalSetup: ['./worker/test/receiver.global.ts'],
          },
        },
        {
          test: {
            name: 'browser',
            include: ['test/e2e/**/*.test.ts', 'snippet/**/*.test.ts', 'dashboard/**/*.test.ts'],
            environment: 'node',
            testTimeout: 60_000,
            hookTimeout: 60_000,
            fileParallelism: false,
          },
        },
        {
          // The open archive from the outside: the local collector's Parquet files pulled through the API, read by DuckDB.
          test: {
            name: 'archive',
            include: ['test/archive/**/*.test.ts'],
            environment: 'node',
            testTimeout: 60_000,
            hookTimeout: 90_000,
          },
        },
        {
          // The Segment-compatible API from the outside: @segment/analytics-node, unmodified, against the local collector.
          test: {
            name: 'server',
            include: ['test/server/**/*.test.ts'],
            environment: 'node',
            testTimeout: 60_000,
            hookTimeout: 90_000,
          },
        },
        {
          test: {
            name: 'deploy',
            include: ['test/deploy/**/*.test.ts'],
            environment: 'node',
            testTimeout: 30_000,
          },
        },
      ],
    },
  };
});

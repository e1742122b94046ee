import path from 'node:path';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { DEV_DEFINE, DEV_VARS } from './scripts/dev-defaults.mjs';

/**
 * Three projects: `worker` runs inside workerd with real D1/Queue/R2 bindings; `browser` runs in Node and drives
 * real Chromium against a locally started collector; `deploy` runs in Node and checks what `wrangler deploy` would ship.
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
                bindings: { ...DEV_VARS, TEST_MIGRATIONS: migrations, TP_DEST_TEST_SECRET: 'dest-secret', TP_KEY_RATE_PER_MINUTE: '40' },
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
            include: ['test/e2e/**/*.test.ts', 'snippet/**/*.test.ts'],
            environment: 'node',
            testTimeout: 60_000,
            hookTimeout: 60_000,
            fileParallelism: false,
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

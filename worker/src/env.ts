import type { QueueMessage } from './storage/messages';

/**
 * Bindings and variables, as declared in wrangler.toml; secrets via `wrangler secret put`. None has a default in
 * worker code: `npm start` and the tests pass the local development values in (scripts/dev-defaults.mjs).
 */
export interface Env {
  DB: D1Database;
  EVENTS: Queue<QueueMessage>;
  ARCHIVE: R2Bucket;
  TP_ADMIN_KEY?: string;
  /** Signs consent tokens and salts nothing else. */
  TP_CONSENT_KEY?: string;
  TP_DEMO_IDENTITY_SECRET?: string;
  /** Requests per API key and minute (default 600). */
  TP_KEY_RATE_PER_MINUTE?: string;
}

declare global {
  /**
   * Build-time flag (esbuild `define`): `true` only in the builds `npm start` and the tests make, which then carry
   * the demo shop's back end and accept local origins; wrangler.toml defines it `false` for every deployable build.
   */
  const __TP_DEV__: boolean;

  namespace Cloudflare {
    interface Env {
      DB: D1Database;
      EVENTS: Queue<QueueMessage>;
      ARCHIVE: R2Bucket;
      TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
    }
  }
}

export type AppEnv = { Bindings: Env };

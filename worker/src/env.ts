import type { QueueMessage } from './storage/messages';

/** Bindings and variables, as declared in wrangler.jsonc (secrets via `wrangler secret put`). */
export interface Env {
  DB: D1Database;
  EVENTS: Queue<QueueMessage>;
  ARCHIVE: R2Bucket;
  ASSETS: Fetcher;
  /** "development" enables the local defaults below; anything else requires real secrets. */
  TP_ENV?: string;
  TP_ADMIN_KEY?: string;
  /** Signs consent tokens and salts nothing else. */
  TP_CONSENT_KEY?: string;
  TP_DEMO_IDENTITY_SECRET?: string;
  /** Requests per API key and minute (default 600). */
  TP_KEY_RATE_PER_MINUTE?: string;
}

declare global {
  namespace Cloudflare {
    interface Env {
      DB: D1Database;
      EVENTS: Queue<QueueMessage>;
      ARCHIVE: R2Bucket;
      ASSETS: Fetcher;
      TP_ENV?: string;
      TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
    }
  }
}

export type AppEnv = { Bindings: Env };

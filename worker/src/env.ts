import type { QueueMessage } from './storage/messages';

/**
 * Bindings and variables, as declared in wrangler.toml; secrets via `wrangler secret put`. None has a default in
 * worker code: `npm start` and the tests pass the local development values in (scripts/dev-defaults.mjs).
 */
export interface Env {
  DB: D1Database;
  EVENTS: Queue<QueueMessage>;
  ARCHIVE: R2Bucket;
  /** Where the raw archive goes: `r2` (default), `pipelines`, or both, comma-separated (storage/archive-sink.ts). */
  TP_ARCHIVE_SINK?: string;
  /** A Cloudflare Pipelines stream (R2 Data Catalog / Iceberg sink), when TP_ARCHIVE_SINK names `pipelines`. */
  ARCHIVE_STREAM?: { send(records: Record<string, unknown>[]): Promise<void> };
  TP_ADMIN_KEY?: string;
  /** Signs consent tokens and salts nothing else. */
  TP_CONSENT_KEY?: string;
  TP_DEMO_IDENTITY_SECRET?: string;
  /** Requests per API key and minute (default 600). */
  TP_KEY_RATE_PER_MINUTE?: string;
  /** Requests per write key and minute (default 6000; auth/write-key.ts). */
  TP_WRITE_KEY_RATE_PER_MINUTE?: string;
  /** The demo site's write key in local development only (`dev-write-key`; read only where `__TP_DEV__`). */
  TP_DEMO_WRITE_KEY?: string;
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

// The local development defaults (CONTRACT §4), in one place and nowhere in worker code or wrangler.toml:
// `npm start`, the browser tests and the benchmarks pass them to the Worker through scripts/collector.mjs, the worker
// tests through vitest.config.ts. A build from wrangler.toml alone (`wrangler deploy`, `--env production`) has none
// of them: no default secret (a missing one fails closed, naming it), no demo routes, no demo assets.

/** Secrets as plain bindings; `npm start` lets the same-named environment variables override them. */
export const DEV_VARS = Object.freeze({
  TP_ADMIN_KEY: 'dev-admin-key',
  TP_CONSENT_KEY: 'dev-consent-key-change-me-in-production',
  TP_DEMO_IDENTITY_SECRET: 'dev-identity-secret',
  TP_DEMO_WRITE_KEY: 'dev-write-key',
});

/**
 * Build-time flags (esbuild `define`): `__TP_DEV__` compiles in the demo shop's back end (routes/dev/demo.ts) and the
 * localhost origins of local development. wrangler.toml defines it `false`, so deployable bundles drop that code.
 */
export const DEV_DEFINE = Object.freeze({ __TP_DEV__: 'true' });

/** The demo site (static files at /demo/; public/_redirects sends `/` there and serves the SPA's deep links). */
export const DEV_ASSETS = 'public';

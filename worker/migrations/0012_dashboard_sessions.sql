-- Marketer dashboard sessions (worker/src/auth/session.ts). Signing in with an API key creates one; its cookie holds a random
-- token of which only the SHA-256 is stored here, so a copy of this table opens no session. The key itself is not stored either:
-- key_hash is its SHA-256 (the same value api_keys is keyed by), and every request re-resolves it, so revoking the key, or
-- narrowing its sites, applies to its sessions within the key cache's minute. Expired rows are deleted at the next sign-in.
CREATE TABLE dashboard_sessions (
  token_hash TEXT    PRIMARY KEY,
  key_hash   TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX dashboard_sessions_expires ON dashboard_sessions (expires_at);

-- The per-browser secret that authorizes /v1/me: only its SHA-256 is stored. First registration
-- wins (from the consent receipt that created the anonymous id, or POST /v1/me after a rotation).
CREATE TABLE browser_secrets (
  site_id     TEXT    NOT NULL,
  anon_id     TEXT    NOT NULL,
  secret_hash TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (site_id, anon_id)
) WITHOUT ROWID;

-- Minimal records of erased or withdrawn subjects: late or retried events for them are dropped.
-- subject = hex SHA-256 of the anonymous id or user id; nothing else about the subject is kept.
CREATE TABLE tombstones (
  site_id    TEXT    NOT NULL,
  subject    TEXT    NOT NULL,
  scope      TEXT    NOT NULL,   -- anon | user
  reason     TEXT    NOT NULL,   -- erased | withdrawn
  created_at INTEGER NOT NULL,
  PRIMARY KEY (site_id, subject)
) WITHOUT ROWID;

-- Self-service calls (export, erase, register), for the per-browser rate limit; kept one day.
CREATE TABLE me_requests (
  site_id TEXT    NOT NULL,
  anon_id TEXT    NOT NULL,
  ts      INTEGER NOT NULL
);
CREATE INDEX me_requests_anon ON me_requests (site_id, anon_id, ts);
CREATE INDEX events_site_received ON events (site_id, received_at);
CREATE INDEX receipts_received ON consent_receipts (site_id, received_at);

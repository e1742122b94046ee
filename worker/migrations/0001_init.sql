-- Touchpoint storage, version 1. Documented column by column in docs/storage-schema.md.

-- One row per accepted event. (site_id, id) is the client event id: INSERT OR IGNORE makes retries idempotent.
-- seq is the insertion order (D1 serialises writes), the stable cursor of the raw export.
CREATE TABLE events (
  seq          INTEGER PRIMARY KEY,
  site_id      TEXT    NOT NULL,
  id           TEXT    NOT NULL,
  name         TEXT    NOT NULL,
  custom       INTEGER NOT NULL DEFAULT 0,
  category     TEXT    NOT NULL,
  ts           INTEGER NOT NULL,
  received_at  INTEGER NOT NULL,
  anon_id      TEXT,
  user_id      TEXT,
  session_id   TEXT,
  visitor_hash TEXT,
  pageview_id  TEXT,
  url          TEXT    NOT NULL,
  path         TEXT    NOT NULL,
  referrer     TEXT,
  ref_host     TEXT,
  source       TEXT,
  medium       TEXT,
  utm_source   TEXT,
  utm_medium   TEXT,
  utm_campaign TEXT,
  utm_term     TEXT,
  utm_content  TEXT,
  click_id     TEXT,
  country      TEXT,
  region       TEXT,
  city         TEXT,
  timezone     TEXT,
  browser      TEXT,
  os           TEXT,
  device       TEXT,
  bot          INTEGER NOT NULL DEFAULT 0,
  cookieless   INTEGER NOT NULL DEFAULT 0,
  consent      TEXT    NOT NULL,
  props        TEXT,
  UNIQUE (site_id, id)
);
CREATE INDEX events_site_ts   ON events (site_id, ts);
CREATE INDEX events_site_anon ON events (site_id, anon_id, ts) WHERE anon_id IS NOT NULL;
CREATE INDEX events_site_seq  ON events (site_id, seq);

-- Append-only consent receipts: never updated; the latest per (site_id, consent_id) is the state.
CREATE TABLE consent_receipts (
  site_id        TEXT    NOT NULL,
  receipt_id     TEXT    NOT NULL,
  consent_id     TEXT    NOT NULL,
  granted        TEXT    NOT NULL,  -- JSON array of categories
  denied         TEXT    NOT NULL,  -- JSON array of categories
  policy_version TEXT    NOT NULL,
  method         TEXT    NOT NULL,  -- banner | preferences | api | gpc
  gpc            INTEGER NOT NULL DEFAULT 0,
  ts             INTEGER NOT NULL,  -- decision time (client)
  received_at    INTEGER NOT NULL,
  anon_id        TEXT,              -- only when analytics was granted
  PRIMARY KEY (site_id, receipt_id)
) WITHOUT ROWID;
CREATE INDEX receipts_consent ON consent_receipts (site_id, consent_id, ts);
CREATE INDEX receipts_ts      ON consent_receipts (site_id, ts);
CREATE INDEX receipts_anon    ON consent_receipts (site_id, anon_id) WHERE anon_id IS NOT NULL;

-- The random salt of the current UTC day for cookieless unique-visitor hashes; older salts are deleted hourly.
CREATE TABLE salts (
  day  TEXT PRIMARY KEY,
  salt TEXT NOT NULL
);

-- Counts the ingest path reports (dropped for consent, bot, …), one row per queue message and reason,
-- so that a redelivered message can't count twice. Summed at read time.
CREATE TABLE ingest_counts (
  site_id    TEXT    NOT NULL,
  message_id TEXT    NOT NULL,
  name       TEXT    NOT NULL,
  day        TEXT    NOT NULL,
  n          INTEGER NOT NULL,
  PRIMARY KEY (message_id, name)
) WITHOUT ROWID;
CREATE INDEX ingest_counts_site_day ON ingest_counts (site_id, day);

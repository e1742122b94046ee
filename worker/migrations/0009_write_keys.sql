-- Write keys for the Segment-compatible tracking API (/segment/v1/*). Only the SHA-256 of a key is stored; the key is
-- shown once by `npm run key -- create --site <id> --write`. A write key belongs to exactly one site (Segment's calls
-- name no site: the key does) and can only write; API keys (api_keys) can only read.
-- kind: 'server' (a back end: may link ids and store traits) or 'browser' (analytics.js, whose key every visitor can read:
-- events only, from the site's origins).
CREATE TABLE write_keys (
  key_hash   TEXT    PRIMARY KEY,
  prefix     TEXT    NOT NULL,           -- first characters of the key, to tell keys apart in `key list`
  name       TEXT    NOT NULL,
  site_id    TEXT    NOT NULL,
  kind       TEXT    NOT NULL DEFAULT 'server',
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
) WITHOUT ROWID;

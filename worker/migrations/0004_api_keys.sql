-- API keys for the marketer / back-end API. Only the SHA-256 of a key is stored; the key is shown once by
-- `npm run key -- create`. sites: JSON array of site ids the key may read.
CREATE TABLE api_keys (
  key_hash   TEXT    PRIMARY KEY,
  prefix     TEXT    NOT NULL,           -- first characters of the key, to tell keys apart in `key list`
  name       TEXT    NOT NULL,
  sites      TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
) WITHOUT ROWID;

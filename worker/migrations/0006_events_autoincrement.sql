-- events.seq never repeats. Without AUTOINCREMENT SQLite gives a new row max(seq) + 1, so erasing the newest rows let
-- later rows reuse their seq values: an export client whose cursor had passed them would never see those rows, and the
-- rollups needed their watermark rewound after every deletion. AUTOINCREMENT keeps the highest seq ever handed out in
-- sqlite_sequence. SQLite can't add it to an existing key, so the table is rebuilt (a one-time copy: see README, limits).
CREATE TABLE events_v2 (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO events_v2 (seq, site_id, id, name, custom, category, ts, received_at, anon_id, user_id, session_id, visitor_hash, pageview_id, url, path, referrer, ref_host, source, medium, utm_source, utm_medium, utm_campaign, utm_term, utm_content, click_id, country, region, city, timezone, browser, os, device, bot, cookieless, consent, props)
SELECT seq, site_id, id, name, custom, category, ts, received_at, anon_id, user_id, session_id, visitor_hash, pageview_id, url, path, referrer, ref_host, source, medium, utm_source, utm_medium, utm_campaign, utm_term, utm_content, click_id, country, region, city, timezone, browser, os, device, bot, cookieless, consent, props FROM events ORDER BY seq;
DROP TABLE events;
ALTER TABLE events_v2 RENAME TO events;
CREATE INDEX events_site_ts   ON events (site_id, ts);
CREATE INDEX events_site_anon ON events (site_id, anon_id, ts) WHERE anon_id IS NOT NULL;
CREATE INDEX events_site_seq  ON events (site_id, seq);
CREATE INDEX events_site_user ON events (site_id, user_id, ts) WHERE user_id IS NOT NULL;
CREATE INDEX events_site_name ON events (site_id, name, path, ts);

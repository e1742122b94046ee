-- Per-visit rollup: one row per visit (session id, or for cookieless traffic the day's visitor hash),
-- derived from the non-bot events. It is a materialized view of `events`, kept incrementally: every
-- consumer batch folds the rows it inserted (seq above the watermark in rollup_state) into it, and a
-- query that finds the watermark behind (events written outside the consumer) catches it up first.
-- Visit metrics (visits, bounce rate, duration, entry page, visit:* attributes) read one row per visit
-- here instead of every event of the visit.
CREATE TABLE visits (
  site_id      TEXT    NOT NULL,
  visit        TEXT    NOT NULL,
  start_ts     INTEGER NOT NULL,  -- first event
  end_ts       INTEGER NOT NULL,  -- last event
  anon_id      TEXT,
  visitor_hash TEXT,
  user_id      TEXT,              -- the linked user: from the graph at fold time, set by identify for earlier visits
  pageviews    INTEGER NOT NULL,
  events       INTEGER NOT NULL,
  entry_ts     INTEGER,           -- first page view (NULL: the visit had none)
  entry_page   TEXT,
  -- the visit's attribution: the values of its first event
  source       TEXT,
  ref_host     TEXT,
  utm_source   TEXT,
  utm_medium   TEXT,
  utm_campaign TEXT,
  country      TEXT,
  device       TEXT,
  browser      TEXT,
  os           TEXT,
  PRIMARY KEY (site_id, visit)
) WITHOUT ROWID;
CREATE INDEX visits_site_start ON visits (site_id, start_ts);
CREATE INDEX visits_site_anon ON visits (site_id, anon_id);

-- Watermarks of incremental rollups: every events row with seq <= seq is folded in.
CREATE TABLE rollup_state (
  name TEXT PRIMARY KEY,
  seq  INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO rollup_state (name, seq) VALUES ('visits', 0);

-- Per-page rollup: page views per (15-minute slot, path, visit), folded with `visits` from the same rows.
-- Top pages and other page-view breakdowns read ~1 row per page a visit saw instead of every page view.
-- 15 minutes divides every time zone's offset, so any range of local days or hours is a whole number of slots.
CREATE TABLE visit_pages (
  site_id      TEXT    NOT NULL,
  slot         INTEGER NOT NULL,  -- floor(ts / 900000)
  path         TEXT    NOT NULL,
  visit        TEXT    NOT NULL,
  anon_id      TEXT,
  visitor_hash TEXT,
  user_id      TEXT,
  pageviews    INTEGER NOT NULL,
  PRIMARY KEY (site_id, slot, path, visit)
) WITHOUT ROWID;
CREATE INDEX visit_pages_visit ON visit_pages (site_id, visit);
CREATE INDEX visit_pages_anon ON visit_pages (site_id, anon_id);

-- Funnel steps and event-name queries seek by (name, page) instead of scanning the range; retention now
-- goes by event time (events_site_ts), so the receive-time index is dropped to keep inserts as cheap.
CREATE INDEX events_site_name ON events (site_id, name, path, ts);
DROP INDEX events_site_received;

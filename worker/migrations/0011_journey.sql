-- Journey KPIs (issue 13): what the visit rollup carries besides the visit's first event.
-- exit_ts / exit_page: the visit's last page view (visit:exit_page).
-- channel: the acquisition channel of the visit's first event (visit:channel; worker/src/enrich/channel.ts).
-- actions: micro-actions, i.e. events other than page views and engagement pings (the journey's events per visit).
-- visitor_type: 'new' on the first visit of its stitched visitor (user id, else anonymous id, else cookieless hash),
--   'returning' on every later one; kept by the fold, by identify (a login merges two visitors) and by a trigger on delete.
ALTER TABLE visits ADD COLUMN exit_ts INTEGER;
ALTER TABLE visits ADD COLUMN exit_page TEXT;
ALTER TABLE visits ADD COLUMN channel TEXT;
ALTER TABLE visits ADD COLUMN actions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE visits ADD COLUMN visitor_type TEXT NOT NULL DEFAULT 'returning';

-- A stitched visitor's visits in time order: finds a visitor's first visit with one seek. The expression is exactly the
-- one the fold and the queries use (storage/visits.ts, VISITOR), or SQLite would not use the index.
CREATE INDEX visits_site_visitor ON visits (site_id, COALESCE(user_id, anon_id, visitor_hash, visit), start_ts);

-- When a visitor's first visit goes (erasure, retention), its earliest remaining visit becomes its first: the rollup stays
-- what a rebuild from the remaining events would give.
CREATE TRIGGER visits_first_forgotten AFTER DELETE ON visits WHEN OLD.visitor_type = 'new'
BEGIN
  UPDATE visits SET visitor_type = 'new'
  WHERE site_id = OLD.site_id AND visit = (
    SELECT y.visit FROM visits y
    WHERE y.site_id = OLD.site_id AND COALESCE(y.user_id, y.anon_id, y.visitor_hash, y.visit) = COALESCE(OLD.user_id, OLD.anon_id, OLD.visitor_hash, OLD.visit)
    ORDER BY y.start_ts, y.visit LIMIT 1
  );
END;

-- Goals and funnel steps seek events by name and page: the index now also holds what they need to tell visitors apart
-- (bot flag, anonymous id, cookieless hash, user id), so a goal breakdown reads no table rows.
DROP INDEX events_site_name;
CREATE INDEX events_site_name ON events (site_id, name, path, ts, bot, anon_id, visitor_hash, user_id);

-- Revenue metrics read only the events that carry revenue (a few per thousand): a small partial index instead of a scan.
CREATE INDEX events_site_revenue ON events (site_id, ts) WHERE revenue IS NOT NULL;

-- Fill the new columns of the visits folded so far, in place: the rollups may hold visits whose raw events are gone (older
-- than the hot window), so they are never rebuilt from scratch here. Visits without events in D1 keep a NULL channel and
-- exit page. The channel CASE is enrich/channel.ts's CHANNEL_SQL.
UPDATE visits SET exit_ts = a.exit_ts, exit_page = a.exit_page, actions = a.actions, channel = a.channel
FROM (
  WITH b AS (
    SELECT site_id, COALESCE(session_id, 'h:' || COALESCE(visitor_hash, id)) AS visit, ts, name, path, medium, click_id
    FROM events WHERE bot = 0
  ),
  f AS (
    SELECT site_id, visit, min(ts) AS first_ts, sum(name NOT IN ('pageview', 'engagement')) AS actions,
      CASE
        WHEN click_id IS NOT NULL OR medium = 'paid' THEN 'Paid'
        WHEN medium = 'search' THEN 'Organic Search'
        WHEN medium = 'social' THEN 'Social'
        WHEN medium = 'email' THEN 'Email'
        WHEN medium = 'referral' THEN 'Referral'
        ELSE 'Direct'
      END AS channel
    FROM b GROUP BY site_id, visit
  ),
  x AS (SELECT site_id, visit, max(ts) AS exit_ts, path AS exit_page FROM b WHERE name = 'pageview' GROUP BY site_id, visit)
  SELECT f.site_id, f.visit, f.channel, f.actions, x.exit_ts, x.exit_page FROM f LEFT JOIN x USING (site_id, visit)
) AS a
WHERE visits.site_id = a.site_id AND visits.visit = a.visit;

UPDATE visits SET visitor_type = 'new' WHERE (site_id, visit) IN (
  SELECT site_id, visit FROM (
    SELECT site_id, visit,
      row_number() OVER (PARTITION BY site_id, COALESCE(user_id, anon_id, visitor_hash, visit) ORDER BY start_ts, visit) AS r
    FROM visits
  ) WHERE r = 1
);

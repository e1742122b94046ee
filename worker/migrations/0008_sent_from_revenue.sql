-- Who sent an event, and what it earned.
-- sent_from: 'browser' (the snippet, POST /v1/e) or 'server' (the Segment-compatible API): the dashboard and the API split
--   the two. Not called `source`, which already is the referrer class (visit:source).
-- revenue: the amount in minor units of `currency` (an exact integer: 19.99 EUR is 1999; no float drift when summed),
--   currency: ISO 4217 code. Both NULL for events without revenue.
ALTER TABLE events ADD COLUMN sent_from TEXT NOT NULL DEFAULT 'browser';
ALTER TABLE events ADD COLUMN revenue INTEGER;
ALTER TABLE events ADD COLUMN currency TEXT;

-- The identity graph: which anonymous ids (devices, browsers) belong to which known user.
-- An anonymous id belongs to at most one user, forever (primary key): never relinked.
CREATE TABLE identity_links (
  site_id   TEXT    NOT NULL,
  anon_id   TEXT    NOT NULL,
  user_id   TEXT    NOT NULL,
  linked_at INTEGER NOT NULL,            -- epoch ms
  verified  INTEGER NOT NULL,            -- 1: identity token checked against the site's secret
  method    TEXT    NOT NULL,            -- identify
  PRIMARY KEY (site_id, anon_id)
) WITHOUT ROWID;
CREATE INDEX identity_links_user ON identity_links (site_id, user_id, linked_at);

-- Latest-wins profile traits per user, kept apart from events.
CREATE TABLE user_traits (
  site_id    TEXT    NOT NULL,
  user_id    TEXT    NOT NULL,
  traits     TEXT    NOT NULL,           -- JSON object
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (site_id, user_id)
) WITHOUT ROWID;

-- Identify attempts, accepted or refused: the link-rate limits and the refusal counters read it.
CREATE TABLE identify_attempts (
  site_id TEXT    NOT NULL,
  anon_id TEXT    NOT NULL,
  user_id TEXT    NOT NULL,
  ts      INTEGER NOT NULL,
  outcome TEXT    NOT NULL               -- linked | already_linked | refused_<reason>
);
CREATE INDEX identify_attempts_user ON identify_attempts (site_id, user_id, ts);
CREATE INDEX identify_attempts_anon ON identify_attempts (site_id, anon_id, ts);
CREATE INDEX identify_attempts_ts   ON identify_attempts (site_id, ts);

-- Events recorded after login carry the user id (from the graph): the profile timeline reads them by user.
CREATE INDEX events_site_user ON events (site_id, user_id, ts) WHERE user_id IS NOT NULL;

/**
 * The per-visit rollups (`visits` and `visit_pages`, migration 0005): materialized views of the non-bot events,
 * maintained incrementally. Rows of `events` above the watermark (`rollup_state.visits`) are
 * grouped by visit and merged into `visits`; then the watermark moves to the highest seq. Both
 * statements run in one D1 batch (a transaction), so a fold is all-or-nothing and two folds never
 * see the same rows; INSERT OR IGNORE on events means a redelivered batch adds no rows to fold.
 *
 * New rows always get a seq above the watermark: `events.seq` is AUTOINCREMENT (migration 0006), so
 * SQLite never hands out a seq again, not even after the rows holding the highest ones were deleted.
 *
 * Since migration 0011 a visit also carries its exit page, channel, micro-action count and whether it was its visitor's
 * first (`visitor_type`), and since 0016 its place in its visitor's chain (below): the fold recomputes the chains it touched,
 * in the same batch, before the watermark moves.
 */
import { channelSql } from '../enrich/channel';

/** The visit an event belongs to: its session id, or for cookieless traffic the day's visitor hash. */
export const visitOf = (e: string) => `COALESCE(${e}.session_id, 'h:' || COALESCE(${e}.visitor_hash, ${e}.id))`;

/**
 * An event's stitched visitor, read through `identity_links` (alias `l`, joined on the anonymous id): the linked user, else
 * the anonymous id, else the cookieless hash, else the event itself (its seq: every column here is in `events_site_name`,
 * so reads through that index need no table row).
 */
export const eventVisitor = (e: string, l: string) => `COALESCE(${e}.user_id, ${l}.user_id, ${e}.anon_id, ${e}.visitor_hash, ${e}.seq)`;

/** Attribution columns: the visit's first event's values (the channel is computed from its medium and click id). */
const FIRST_EVENT = ['source', 'ref_host', 'utm_source', 'utm_medium', 'utm_campaign', 'country', 'device', 'browser', 'os'] as const;
const FIRST = [...FIRST_EVENT, 'channel'] as const;

/**
 * A rollup row's stitched visitor (alias `a` of `visits`): the linked user, else the anonymous id, else the cookieless
 * hash. Written exactly as index `visits_site_visitor` (migration 0011) has it, so that SQLite seeks with it.
 */
export const visitVisitor = (a: string) => `COALESCE(${a}.user_id, ${a}.anon_id, ${a}.visitor_hash, ${a}.visit)`;

// Three GROUP BYs over the new rows instead of window functions (4× faster on a 1M-row catch-up). In
// f and p, SQLite takes the bare columns from the row that holds min(ts) — the first event / page view.
const FOLD = `
WITH b AS MATERIALIZED (
  SELECT e.site_id, ${visitOf('e')} AS visit, e.ts, e.name, e.path, e.anon_id, e.visitor_hash, COALESCE(e.user_id, l.user_id) AS user_id,
    ${FIRST_EVENT.map((c) => `e.${c}`).join(', ')}, ${channelSql('e')} AS channel
  FROM events e LEFT JOIN identity_links l ON l.site_id = e.site_id AND l.anon_id = e.anon_id
  WHERE e.seq > (SELECT seq FROM rollup_state WHERE name = 'visits') AND e.bot = 0
),
f AS (
  SELECT site_id, visit, min(ts) AS start_ts, count(*) AS n, sum(name = 'pageview') AS pv, sum(name NOT IN ('pageview', 'engagement')) AS act, ${FIRST.join(', ')}
  FROM b GROUP BY site_id, visit
),
l AS (SELECT site_id, visit, max(ts) AS end_ts, max(anon_id) AS anon_id, max(visitor_hash) AS visitor_hash, max(user_id) AS user_id FROM b GROUP BY site_id, visit),
p AS (SELECT site_id, visit, min(ts) AS entry_ts, path FROM b WHERE name = 'pageview' GROUP BY site_id, visit),
x AS (SELECT site_id, visit, max(ts) AS exit_ts, path FROM b WHERE name = 'pageview' GROUP BY site_id, visit)
INSERT INTO visits (site_id, visit, start_ts, end_ts, anon_id, visitor_hash, user_id, pageviews, events, actions, entry_ts, entry_page, exit_ts, exit_page, ${FIRST.join(', ')})
SELECT f.site_id, f.visit, f.start_ts, l.end_ts, l.anon_id, l.visitor_hash, l.user_id, f.pv, f.n, f.act, p.entry_ts, p.path, x.exit_ts, x.path, ${FIRST.map((c) => `f.${c}`).join(', ')}
FROM f JOIN l USING (site_id, visit) LEFT JOIN p USING (site_id, visit) LEFT JOIN x USING (site_id, visit) WHERE true
ON CONFLICT (site_id, visit) DO UPDATE SET
  start_ts = min(start_ts, excluded.start_ts),
  end_ts = max(end_ts, excluded.end_ts),
  anon_id = COALESCE(anon_id, excluded.anon_id),
  visitor_hash = COALESCE(visitor_hash, excluded.visitor_hash),
  user_id = COALESCE(excluded.user_id, user_id),
  pageviews = pageviews + excluded.pageviews,
  events = events + excluded.events,
  actions = actions + excluded.actions,
  exit_page = CASE WHEN excluded.exit_ts IS NOT NULL AND (exit_ts IS NULL OR excluded.exit_ts >= exit_ts) THEN excluded.exit_page ELSE exit_page END,
  exit_ts = CASE WHEN excluded.exit_ts IS NOT NULL AND (exit_ts IS NULL OR excluded.exit_ts >= exit_ts) THEN excluded.exit_ts ELSE exit_ts END,
  entry_ts = CASE WHEN entry_ts IS NULL OR excluded.entry_ts < entry_ts THEN excluded.entry_ts ELSE entry_ts END,
  entry_page = CASE WHEN entry_ts IS NULL OR excluded.entry_ts < entry_ts THEN excluded.entry_page ELSE entry_page END,
  ${FIRST.map((c) => `${c} = CASE WHEN excluded.start_ts < start_ts THEN excluded.${c} ELSE ${c} END`).join(',\n  ')}`;

/** Page views per (15-minute slot, path, visit): the page rollup. */
export const SLOT_MS = 900_000;
const FOLD_PAGES = `
INSERT INTO visit_pages (site_id, slot, path, visit, anon_id, visitor_hash, user_id, pageviews)
SELECT e.site_id, e.ts / ${SLOT_MS}, e.path, ${visitOf('e')}, max(e.anon_id), max(e.visitor_hash), max(COALESCE(e.user_id, l.user_id)), count(*)
FROM events e LEFT JOIN identity_links l ON l.site_id = e.site_id AND l.anon_id = e.anon_id
WHERE e.seq > (SELECT seq FROM rollup_state WHERE name = 'visits') AND e.bot = 0 AND e.name = 'pageview'
GROUP BY 1, 2, 3, 4
ON CONFLICT (site_id, slot, path, visit) DO UPDATE SET
  pageviews = pageviews + excluded.pageviews,
  anon_id = COALESCE(anon_id, excluded.anon_id),
  visitor_hash = COALESCE(visitor_hash, excluded.visitor_hash),
  user_id = COALESCE(excluded.user_id, user_id)`;

const MARK = `UPDATE rollup_state SET seq = (SELECT COALESCE(max(seq), 0) FROM events) WHERE name = 'visits'`;

/**
 * Visitor chains (migration 0016). Every visit row holds the start of its visitor's previous visit (`prev_start`; NULL on the
 * first), of its first (`first_start`) and its number (`nth`; 1 is `visitor_type` 'new'), every page slot the slot of its visitor's previous view of that path
 * (`prev_slot`), in (time, visit) order. A visitor then counts once in a range, or in a time bucket, at its one row whose
 * previous lies before the range (or in another bucket): stats count rows instead of sorting them by visitor (sql-parts.ts
 * `firstInRange`). Any write that can change a chain — a new row, a start moved by a late event, a login or a fold that
 * changes a row's visitor, a delete — records the visitor in `rollup_dirty` (triggers, whoever writes); these statements
 * recompute the chains of those visitors from their rows (one index seek each) and empty the set. Every writer runs them in
 * the batch that wrote (fold, link, erasure, retention); a query finding the set non-empty runs them first (`catchUpVisits`).
 */
// `+k.key`: without its TEXT affinity the key is compared as it is, so SQLite seeks the expression index with it (with the
// affinity it would only seek by site: every visit of the site once per dirty visitor).
const RECHAIN_VISITS = `
WITH c AS MATERIALIZED (
  SELECT x.site_id, x.visit, lag(x.start_ts) OVER w AS prev, first_value(x.start_ts) OVER w AS first, row_number() OVER w AS nth
  FROM rollup_dirty k CROSS JOIN visits x INDEXED BY visits_site_visitor WHERE x.site_id = k.site_id AND ${visitVisitor('x')} = +k.key
  WINDOW w AS (PARTITION BY k.site_id, k.key ORDER BY x.start_ts, x.visit)
)
UPDATE visits SET prev_start = c.prev, first_start = c.first, nth = c.nth, visitor_type = CASE WHEN c.nth = 1 THEN 'new' ELSE 'returning' END
FROM c WHERE visits.site_id = c.site_id AND visits.visit = c.visit
  AND (visits.prev_start IS NOT c.prev OR visits.first_start IS NOT c.first OR visits.nth IS NOT c.nth)`;
const RECHAIN_PAGES = `
WITH c AS MATERIALIZED (
  SELECT x.site_id, x.slot, x.path, x.visit, lag(x.slot) OVER (PARTITION BY k.site_id, k.key, x.path ORDER BY x.slot, x.visit) AS prev
  FROM rollup_dirty k CROSS JOIN visit_pages x INDEXED BY visit_pages_chain WHERE x.site_id = k.site_id AND ${visitVisitor('x')} = +k.key
)
UPDATE visit_pages SET prev_slot = c.prev
FROM c WHERE visit_pages.site_id = c.site_id AND visit_pages.slot = c.slot AND visit_pages.path = c.path AND visit_pages.visit = c.visit
  AND visit_pages.prev_slot IS NOT c.prev`;

/** Recomputes the chains of the visitors recorded in `rollup_dirty` and empties it: append to every batch that writes the rollups. */
export const rechain = (db: D1Database): D1PreparedStatement[] => [db.prepare(RECHAIN_VISITS), db.prepare(RECHAIN_PAGES), db.prepare('DELETE FROM rollup_dirty')];

/** Folds every event above the watermark into `visits` and `visit_pages`: append after the events inserts of a batch. */
export const foldVisits = (db: D1Database): D1PreparedStatement[] => [db.prepare(FOLD), db.prepare(FOLD_PAGES), ...rechain(db), db.prepare(MARK)];

/**
 * The rollups carry the stitched user, so that stats need no join with the identity graph: rows
 * folded after a link get it from the graph at fold time; this gives it to the rows of the anonymous
 * id folded before (run in the batch that links, after the link is written).
 */
export const linkVisits = (db: D1Database, siteId: string, anonId: string): D1PreparedStatement[] => [
  ...['visits', 'visit_pages'].map((table) =>
    db
      .prepare(
        `UPDATE ${table} SET user_id = (SELECT user_id FROM identity_links WHERE site_id = ?1 AND anon_id = ?2) WHERE site_id = ?1 AND anon_id = ?2 AND user_id IS NULL`,
      )
      .bind(siteId, anonId),
  ),
  // The browser's rows now chain with the user's (the triggers recorded both visitors).
  ...rechain(db),
];

/**
 * Brings the rollup up to date before a query reads it. The consumer folds after every batch, so
 * this normally costs one indexed read; it writes only when events arrived another way (a restore,
 * rows that predate migration 0005, a bulk load).
 */
export async function catchUpVisits(db: D1Database): Promise<void> {
  const row = await db
    .prepare(
      `SELECT (SELECT seq FROM rollup_state WHERE name = 'visits') AS mark, (SELECT COALESCE(max(seq), 0) FROM events) AS top, EXISTS (SELECT 1 FROM rollup_dirty) AS dirty`,
    )
    .first<{ mark: number; top: number; dirty: number }>();
  if (row && row.top > row.mark) await db.batch(foldVisits(db));
  else if (row?.dirty) await db.batch(rechain(db));
}

/**
 * Before deleting the events matched by `where` (alias `e`, with its bound values): removes the
 * visits those events belong to, whole — a visit is never left half-counted — from both rollups.
 */
export const forgetVisits = (db: D1Database, where: string, ...binds: unknown[]): D1PreparedStatement[] =>
  ['visit_pages', 'visits'].map((table) =>
    db.prepare(`DELETE FROM ${table} WHERE (site_id, visit) IN (SELECT e.site_id, ${visitOf('e')} FROM events e WHERE ${where})`).bind(...binds),
  );

/**
 * Retention: visits that started before `cutoff` and page slots before it, each as one bounded delete of at most
 * `size` rows (run them until they delete fewer).
 */
export const expireVisits = (db: D1Database, siteId: string, cutoff: number, size: number): D1PreparedStatement[] => [
  db
    .prepare('DELETE FROM visits WHERE (site_id, visit) IN (SELECT site_id, visit FROM visits WHERE site_id = ?1 AND start_ts < ?2 LIMIT ?3)')
    .bind(siteId, cutoff, size),
  db
    .prepare('DELETE FROM visit_pages WHERE (site_id, slot, path, visit) IN (SELECT site_id, slot, path, visit FROM visit_pages WHERE site_id = ?1 AND slot < ?2 LIMIT ?3)')
    .bind(siteId, Math.floor(cutoff / SLOT_MS), size),
];

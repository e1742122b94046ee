import { STAGES } from '../config/kpis';
import { eventVisitor } from '../storage/visits';
import { goalEvents, type GoalMatch } from './goals';

/**
 * The statements behind `POST /api/v1/journey` (journey.ts), run as one D1 batch. Each reads the range and the period
 * before it in one pass, telling them apart by `cur` (1: the range, 0: the period before). Bound parameters:
 * ?1 site, ?2 range start, ?3 range end, ?4 previous period's start, ?5 where raw-event reads start (the previous period's
 * start, or the hot window's if later), ?6 the time zone's offset (ms), ?7 the hot window's start; goal lists follow.
 */
const visitor = eventVisitor('e', 'l');
const links = 'LEFT JOIN identity_links l ON l.site_id = e.site_id AND l.anon_id = e.anon_id';

/**
 * Visit rollup: per period one row (`visits`) of the visits' sums (a…f) and the visitors (va…vh), as each period's SELECT
 * says, read straight from its own range of the table (no materialized rows, no GROUP BY over both periods); then campaign
 * visits by source (`campaign`, column a). Visitors are counted on the visitor chains (storage/visits.ts) without grouping
 * rows by visitor: a visitor is in a period at its first visit there (`fst`: its previous visit started before the period);
 * new at its first visit ever (nth 1); returning at its first visit there that isn't its first ever (the previous one started
 * before the period, or it is the second ever, after the new one there); retained — new in the period and back on a later
 * day of it — at its first visit on a later day than its first visit's. A visitor's type is its key's: registered, anonymous
 * and unknown visitors are counted at `fst` by the columns of that visit. The offset is cast: D1 binds every JavaScript
 * number as REAL, and local days must be integer division.
 */
const periodSums = (cur: 0 | 1, from: string, to: string) => `SELECT 'visits' AS k, ${cur} AS cur, NULL AS key, count(*) AS a, sum(pageviews <= 1) AS b,
  sum(end_ts - start_ts) AS c, sum(actions) AS d, sum(COALESCE(utm_source, utm_medium, utm_campaign) IS NOT NULL) AS e, sum(channel IN ('Social', 'Referral')) AS f,
  sum(fst) AS va, sum(nth = 1) AS vb, sum(nth >= 2 AND (prev_start < ${from} OR nth = 2)) AS vc,
  sum(first_start >= ${from} AND (start_ts + off) / 86400000 > (first_start + off) / 86400000 AND (prev_start + off) / 86400000 = (first_start + off) / 86400000) AS vd,
  sum(fst AND user_id IS NOT NULL) AS ve, sum(user_id IS NOT NULL) AS vf, sum(fst AND user_id IS NULL AND anon_id IS NOT NULL) AS vg, sum(fst AND user_id IS NULL AND anon_id IS NULL) AS vh
FROM (SELECT *, prev_start IS NULL OR prev_start < ${from} AS fst, CAST(?6 AS INTEGER) AS off FROM visits WHERE site_id = ?1 AND start_ts >= ${from} AND start_ts < ${to})`;
export const VISITS_SQL = `
${periodSums(1, '?2', '?3')}
UNION ALL
${periodSums(0, '?4', '?2')}
UNION ALL
SELECT 'campaign', start_ts >= ?2, COALESCE(utm_source, source, '(not set)'), count(*), ${Array(13).fill('NULL').join(', ')}
FROM visits WHERE site_id = ?1 AND start_ts >= ?4 AND start_ts < ?3 AND COALESCE(utm_source, utm_medium, utm_campaign) IS NOT NULL GROUP BY 2, 3`;

/** A stage's position in STAGES, in SQL: goals and stages are sorted as small integers, not strings. */
const stageIndex = (col: string) => `CASE ${col} ${STAGES.map((s, i) => `WHEN '${s}' THEN ${i}`).join(' ')} END`;

/**
 * Goals, one pass over their events from the hot window's start, deduplicated to one row per goal, period and visitor
 * (`cur` 1: the range, 0: the period before, -1: earlier): unique visitors per goal and per stage (any goal of the stage) in
 * each period (`goal`, `stage`: column a); and new customers (`new`): visitors who completed a conversion goal in the period
 * (a) and none before it, as far back as raw events go (b). Goals are keyed by their index in `goals` and stages by theirs
 * in STAGES (journey.ts maps them back): the sorts here handle integers instead of strings (about 30 ms at 1M events).
 */
export const goalsSql = (goals: GoalMatch[], p: (v: unknown) => string) => `
WITH gm AS MATERIALIZED (
  SELECT g.gi, ${stageIndex('g.stage')} AS si, e.ts, ${visitor} AS visitor
  FROM ${goalEvents(goals, p, 'e.ts >= ?7 AND e.ts < ?3')} ${links}
  WHERE e.bot = 0
),
w AS MATERIALIZED (
  SELECT gi, max(si) AS si, CASE WHEN ts >= ?2 THEN 1 WHEN ts >= ?5 THEN 0 ELSE -1 END AS cur, visitor, min(ts) AS first
  FROM gm GROUP BY gi, cur, visitor
),
nc AS (SELECT min(first) AS first, max(cur = 1) AS in_cur, max(cur = 0) AS in_prev FROM w WHERE si = ${STAGES.indexOf('conversion')} GROUP BY visitor)
SELECT 'goal' AS k, cur, gi AS key, count(*) AS a, NULL AS b FROM w WHERE cur >= 0 GROUP BY cur, gi
UNION ALL SELECT 'stage', cur, si, count(DISTINCT visitor), NULL FROM w WHERE cur >= 0 GROUP BY cur, si
UNION ALL SELECT 'new', 1, NULL, sum(in_cur), sum(in_cur AND first >= ?2) FROM nc
UNION ALL SELECT 'new', 0, NULL, sum(in_prev), sum(in_prev AND first >= ?4) FROM nc`;

/**
 * Revenue, one read of the events carrying it: per period and currency the exact sum in minor units and the orders, as
 * revenue.ts adds them up (`d0` period, `d1` currency); then per period the buyers, unique visitors with such an event
 * (`d1` NULL, `buyers`).
 */
export const REVENUE_SQL = `
WITH r AS MATERIALIZED (
  SELECT e.ts >= ?2 AS cur, e.currency, e.revenue, ${visitor} AS visitor
  FROM events e INDEXED BY events_site_revenue ${links}
  WHERE e.site_id = ?1 AND e.revenue IS NOT NULL AND e.ts >= ?5 AND e.ts < ?3 AND e.bot = 0
)
SELECT cur AS d0, currency AS d1, sum(revenue) AS revenue_minor, count(*) AS orders, NULL AS buyers FROM r GROUP BY cur, currency
UNION ALL
SELECT cur, NULL, NULL, NULL, count(DISTINCT visitor) FROM r GROUP BY cur`;

/**
 * Impressions of `data-tp-view` elements and whether each was clicked: a click, outbound link or download in the same page
 * view, at or after the impression, whose `view`, `label` (data-tp-label) or `id` prop names the element. Impressions and
 * clicks meet by key (page view + element name) in one GROUP BY instead of a join; only clicks on the impressions' pages by
 * the same browser are read (path and anonymous id are in the index, the props and page view are not: a page view has one
 * of each, so this drops no match; cookieless clicks are matched by path alone). Then shares.
 */
export const ENGAGEMENT_SQL = `
WITH im AS MATERIALIZED (
  SELECT e.pageview_id || char(31) || json_extract(e.props, '$.view') AS key, e.path, COALESCE(e.anon_id, '') AS anon, e.ts, e.ts >= ?2 AS cur
  FROM events e INDEXED BY events_site_impression
  WHERE e.site_id = ?1 AND e.name = 'impression' AND e.ts >= ?5 AND e.ts < ?3 AND e.bot = 0
),
cl AS MATERIALIZED (
  SELECT e.pageview_id AS pv, e.ts, e.props FROM events e INDEXED BY events_site_name
  WHERE e.site_id = ?1 AND e.name IN ('click', 'outbound', 'download') AND e.ts >= ?5 AND e.ts < ?3 AND e.bot = 0
    AND (e.path, COALESCE(e.anon_id, '')) IN (SELECT path, anon FROM im) AND e.props IS NOT NULL
),
u AS (
  SELECT key, ts AS imp, NULL AS clk, cur FROM im
  UNION ALL SELECT pv || char(31) || json_extract(props, '$.view'), NULL, ts, NULL FROM cl
  UNION ALL SELECT pv || char(31) || json_extract(props, '$.label'), NULL, ts, NULL FROM cl
  UNION ALL SELECT pv || char(31) || json_extract(props, '$.id'), NULL, ts, NULL FROM cl
),
k AS (SELECT count(imp) AS n, min(imp) AS first, max(clk) AS last, max(cur) AS cur FROM u WHERE key IS NOT NULL GROUP BY key HAVING n > 0)
SELECT 'impressions' AS k, cur, sum(n) AS a, sum(CASE WHEN last >= first THEN n ELSE 0 END) AS b FROM k GROUP BY cur
UNION ALL
SELECT 'shares', e.ts >= ?2, count(*), NULL FROM events e INDEXED BY events_site_name
WHERE e.site_id = ?1 AND e.name = 'share' AND e.ts >= ?5 AND e.ts < ?3 AND e.bot = 0 GROUP BY 2`;

/** Upgrades: users whose first identity link (anonymous → registered) falls in each period. */
export const UPGRADES_SQL = `
SELECT sum(first >= ?2 AND first < ?3) AS cur, sum(first >= ?4 AND first < ?2) AS prev
FROM (SELECT min(linked_at) AS first FROM identity_links WHERE site_id = ?1 GROUP BY user_id)`;

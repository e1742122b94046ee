import type { SiteConfig } from '../config/schema';
import { catchUpVisits, visitVisitor } from '../storage/visits';
import { periodIndex, periodIndexSql, periodStart } from './buckets';
import type { RetentionQuery } from './schema';
import { localMidnight, resolveRange } from './time';

/**
 * POST /api/v1/retention: cohorts of stitched visitors by the period (day, Monday-based week, month; site time zone) of
 * their first visit, for first visits within the range. `retained[k]` counts the cohort's visitors with a visit starting
 * in the k-th period after the cohort's (`retained[0]` is the cohort's size), for k below `periods` (default: as many
 * periods as the range spans) — visits after the range count too — and only for periods that have begun by now.
 * A visitor is the user id once linked, so one person on two devices is one cohort member, in the cohort of their
 * earliest visit on either. Read from the visit rollup alone (its `visitor_type` marks each visitor's first visit).
 */
export async function runRetention(db: D1Database, r: RetentionQuery, site: SiteConfig, now: number) {
  const range = resolveRange(r.date_range, site.timezone, now);
  const off = range.offset;
  const from = Math.max(0, range.from);
  const last = Math.min(range.to, now) - 1;
  const firstIdx = periodIndex(r.period, from, off);
  const nowIdx = periodIndex(r.period, now, off);
  const lastIdx = Math.min(periodIndex(r.period, Math.max(from, last), off), nowIdx);
  // At least one: a range wholly in the future spans no period yet, and a negative count would reach the SQL.
  const periods = r.periods ?? Math.max(1, Math.min(100, lastIdx - firstIdx + 1));
  // Visits are followed until the last cohort's `periods` periods are over, or now.
  const endIdx = Math.min(lastIdx + periods, nowIdx + 1);
  const end = Math.min(localMidnight(periodStart(r.period, endIdx), site.timezone), now + 1);
  await catchUpVisits(db);
  const { results } = await db
    .prepare(
      // One row per visitor and period first (marking the period of a first visit within the range): the cohort join then
      // counts rows, not distinct visitors.
      `WITH vp AS MATERIALIZED (
  SELECT ${visitVisitor('visits')} AS visitor, ${periodIndexSql(r.period, 'start_ts', off)} AS p, max(visitor_type = 'new' AND start_ts < ?4) AS first
  FROM visits WHERE site_id = ?1 AND start_ts >= ?2 AND start_ts < ?3 GROUP BY 1, 2
),
c AS MATERIALIZED (SELECT visitor, p AS cohort FROM vp WHERE first)
SELECT c.cohort, vp.p - c.cohort AS k, count(*) AS n FROM c JOIN vp ON vp.visitor = c.visitor
WHERE vp.p - c.cohort < ?5 GROUP BY 1, 2`,
    )
    .bind(site.id, from, Math.max(from, end), range.to, periods)
    .all<{ cohort: number; k: number; n: number }>();
  const byCohort = new Map<number, number[]>();
  for (const row of results) {
    const list = byCohort.get(row.cohort) ?? Array.from({ length: Math.min(periods, nowIdx - row.cohort + 1) }, () => 0);
    if (row.k < list.length) list[row.k] = row.n;
    byCohort.set(row.cohort, list);
  }
  return {
    cohorts: [...byCohort]
      .sort(([a], [b]) => a - b)
      .map(([cohort, retained]) => ({ cohort: periodStart(r.period, cohort), size: retained[0] ?? 0, retained })),
    meta: { date_range: range.label, time_zone: site.timezone, period: r.period, periods },
  };
}

import type { Dimension, Metric, Query } from './schema';
import { bucketIndexSql, bucketSql } from './buckets';

/*
 * The SQL building blocks the stats plans share (stats.ts): visit columns, filter conditions, metric columns, groupings,
 * and the rollups' visitor and user type.
 */

/** Visit attributes: columns of `visits` (read through alias `v`). */
export const VISIT_COLUMN: Record<Extract<Dimension, `visit:${string}` | 'visitor:type'>, string> = {
  'visit:source': 'source',
  'visit:referrer': 'ref_host',
  'visit:utm_source': 'utm_source',
  'visit:utm_medium': 'utm_medium',
  'visit:utm_campaign': 'utm_campaign',
  'visit:country': 'country',
  'visit:device': 'device',
  'visit:browser': 'browser',
  'visit:os': 'os',
  'visit:entry_page': 'entry_page',
  'visit:exit_page': 'exit_page',
  'visit:channel': 'channel',
  'visitor:type': 'visitor_type',
};
/** Internal: the revenue query's extra split (revenue.ts), and its sums. */
export const CURRENCY = 'event:currency' as Dimension;
export const REVENUE_EXPRS = { revenue_minor: 'sum(revenue)', orders: 'count(*)' } as Partial<Record<Metric, string>>;

export type Filter = Query['filters'][number];
export const isVisitDim = (d: string): d is keyof typeof VISIT_COLUMN => d in VISIT_COLUMN;

/**
 * Shared by every plan: `col(dim)` names the column; each filter's values are bound as one JSON array read with json_each,
 * because D1 binds at most 100 parameters a statement and one parameter per value ran out with two long lists. SQLite
 * still seeks an index with `IN (SELECT value FROM json_each(?))`, as with a literal list. The `contains` needles are
 * renamed in a subquery so that the outer column (`path`, say) is never taken for a json_each column of the same name.
 */
export function conditions(filters: Filter[], col: (d: Dimension) => string, p: (v: unknown) => string): string[] {
  return filters.map(([op, dim, values]) => {
    const c = col(dim as Dimension);
    const list = p(JSON.stringify(values));
    if (op === 'is') return `${c} IN (SELECT value FROM json_each(${list}))`;
    if (op === 'is_not') return `(${c} IS NULL OR ${c} NOT IN (SELECT value FROM json_each(${list})))`;
    return `EXISTS (SELECT 1 FROM (SELECT value AS needle FROM json_each(${list})) WHERE instr(lower(${c}), lower(needle)) > 0)`;
  });
}
/** The metrics' SQL (only those asked for, plus visitors for conversion_rate) and `n_rows`, which tells empty groups apart. */
export function metricColumns(q: Query, exprs: Partial<Record<Metric, string>>): string {
  const wanted = new Set<Metric>(q.metrics.includes('conversion_rate') ? [...q.metrics, 'visitors'] : q.metrics);
  return [...wanted].filter((m) => exprs[m]).map((m) => `${exprs[m]} AS ${m}`).concat('count(*) AS n_rows').join(', ');
}
/**
 * Unique visitors over rollup rows chained by visitor (storage/visits.ts, "Visitor chains"): a row counts when it is its
 * visitor's first in the range — its previous row (`prev`) lies before `from` — and, split by time, its first in the bucket.
 * Exact only where each group holds whole chains: splits and filters by time or user type (a user type is its visitor's).
 * `scale` turns the columns into epoch ms (page slots).
 */
export const firstInRange = (prev: string, at: string, from: string, dims: Dimension[], tzOff: number, scale = '') =>
  `sum(${[`${prev} IS NULL`, `${prev} < ${from}`]
    .concat(dims.filter((d) => d.startsWith('time:')).map((d) => `${bucketIndexSql(d, prev + scale, tzOff)} <> ${bucketIndexSql(d, at + scale, tzOff)}`))
    .join(' OR ')})`;
/** Whether `firstInRange` counts these groups exactly. */
export const wholeChains = (dims: Dimension[], filters: Filter[]) =>
  dims.every((d) => d === 'user:type' || d.startsWith('time:')) && filters.every(([, d]) => d === 'user:type');
export const whereClause = (conds: string[]) => (conds.length ? `WHERE ${conds.join(' AND ')}` : '');
/** GROUP BY the dimensions; with `ts` (a rollup's time column, epoch ms) time dimensions group by their integer bucket. */
export const groupBy = (dims: Dimension[], ts?: string, tzOff = 0) =>
  dims.length ? `GROUP BY ${dims.map((d, i) => (ts && d.startsWith('time:') ? bucketIndexSql(d, ts, tzOff) : `d${i}`)).join(', ')}` : '';
/** A rollup row's visitor and user type: the rollups carry the stitched user id themselves. */
export const rollupVisitor = (a: string) =>
  `COALESCE(${a}.user_id, ${a}.anon_id, ${a}.visitor_hash, ${a}.visit) AS visitor, ${userType(`${a}.user_id`, `${a}.anon_id`)} AS user_type`;
/** identified (a user id), anonymous (an anonymous id), cookieless (neither: counted by the daily hash). */
export const userType = (user: string, anon: string) => `CASE WHEN ${user} IS NOT NULL THEN 'identified' WHEN ${anon} IS NOT NULL THEN 'anonymous' ELSE 'cookieless' END`;
export const timeExpr = (d: Dimension, ts: string, tzOff: number) => bucketSql(d, ts, tzOff);

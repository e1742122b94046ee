import { apiError } from '../http/errors';
import type { Dimension, Metric, Query } from './schema';
import { resolveRange } from './time';

/** Where each dimension lives in the per-event view `ev2` (visit:* are the visit's first event's values). */
const COLUMN: Record<Exclude<Dimension, 'time:day' | 'time:hour'>, string> = {
  'event:name': 'name',
  'event:page': 'path',
  'visit:source': 'v_source',
  'visit:referrer': 'v_referrer',
  'visit:utm_source': 'v_utm_source',
  'visit:utm_medium': 'v_utm_medium',
  'visit:utm_campaign': 'v_utm_campaign',
  'visit:country': 'v_country',
  'visit:device': 'v_device',
  'visit:browser': 'v_browser',
  'visit:os': 'v_os',
  'visit:entry_page': 'entry_page',
  'user:type': 'user_type',
};

/**
 * Definitions (docs/ARCHITECTURE.md, "Stats"):
 * - visitor: the stitched identity — the user id when the anonymous id is linked, else the anonymous id, else (cookieless) the
 *   daily-salted visitor hash;
 * - visit: a session id (30 min inactivity, from the snippet), or for cookieless traffic the visitor hash of the day;
 * - bounce: a visit with at most one page view; visit duration: last minus first event of the visit (engagement time is sent at
 *   pagehide, so a single-page visit that was read has a duration);
 * - scroll depth: per page view the deepest milestone reached (0 when none), averaged over page views;
 * - filters select events; visit metrics are computed over the whole visits those events belong to.
 */
function sql(q: Query, tzOff: number, filters: Query['filters'], dims: Dimension[], params: unknown[]): string {
  const p = (v: unknown) => `?${params.push(v)}`;
  const dimExpr = (d: Dimension) =>
    d === 'time:day'
      ? `strftime('%Y-%m-%d', (ts + ${tzOff}) / 1000, 'unixepoch')`
      : d === 'time:hour'
        ? `strftime('%Y-%m-%d %H:00', (ts + ${tzOff}) / 1000, 'unixepoch')`
        : COLUMN[d];
  // Visit attributes (a window over each visit) only when a dimension or filter needs them: the sort is most of the cost.
  const visitLevel = [...dims, ...filters.map(([, dim]) => dim)].some((x) => x.startsWith('visit:'));
  // Metrics about whole visits (or scroll, which reads scroll events) need every event of the range; the others can have
  // event:name / event:page filters pushed into the scan.
  const whole = q.metrics.some((m) => m === 'bounce_rate' || m === 'visit_duration' || m === 'scroll_depth');
  const pushed = whole || visitLevel ? [] : filters.filter(([, dim]) => dim === 'event:name' || dim === 'event:page');
  const cond = (list: Query['filters'], prefix = '') =>
    list
    .map(([op, dim, values]) => {
      const col = prefix + COLUMN[dim as keyof typeof COLUMN];
      if (op === 'is') return `${col} IN (${values.map(p).join(', ')})`;
      if (op === 'is_not') return `(${col} IS NULL OR ${col} NOT IN (${values.map(p).join(', ')}))`;
      return `(${values.map((v) => `instr(lower(${col}), lower(${p(v)})) > 0`).join(' OR ')})`;
    })
    .join(' AND ');
  const where = cond(filters.filter((f) => !pushed.includes(f)));
  const scan = cond(pushed, 'e.');
  const visitCols = visitLevel
    ? `first_value(source) OVER w AS v_source, first_value(ref_host) OVER w AS v_referrer,
    first_value(utm_source) OVER w AS v_utm_source, first_value(utm_medium) OVER w AS v_utm_medium, first_value(utm_campaign) OVER w AS v_utm_campaign,
    first_value(country) OVER w AS v_country, first_value(device) OVER w AS v_device, first_value(browser) OVER w AS v_browser, first_value(os) OVER w AS v_os,
    first_value(CASE WHEN name = 'pageview' THEN path END) OVER (PARTITION BY visit ORDER BY name <> 'pageview', ts) AS entry_page`
    : 'NULL AS v_source, NULL AS v_referrer, NULL AS v_utm_source, NULL AS v_utm_medium, NULL AS v_utm_campaign, NULL AS v_country, NULL AS v_device, NULL AS v_browser, NULL AS v_os, NULL AS entry_page';
  const d = dims.map((x, i) => `${dimExpr(x)} AS d${i}`);
  const dn = dims.map((_, i) => `d${i}`);
  return `
WITH ev AS (
  SELECT e.id, e.name, e.path, e.ts, e.pageview_id, e.props,
    COALESCE(e.user_id, l.user_id, e.anon_id, e.visitor_hash, e.id) AS visitor,
    CASE WHEN COALESCE(e.user_id, l.user_id) IS NULL THEN 'anonymous' ELSE 'identified' END AS user_type,
    COALESCE(e.session_id, 'h:' || COALESCE(e.visitor_hash, e.id)) AS visit,
    e.source, e.ref_host, e.utm_source, e.utm_medium, e.utm_campaign, e.country, e.device, e.browser, e.os
  FROM events e LEFT JOIN identity_links l ON l.site_id = e.site_id AND l.anon_id = e.anon_id
  WHERE e.site_id = ?1 AND e.ts >= ?2 AND e.ts < ?3 AND e.bot = 0 ${scan ? `AND ${scan}` : ''}
),
ev2 AS (
  SELECT ev.*, ${visitCols}
  FROM ev ${visitLevel ? 'WINDOW w AS (PARTITION BY visit ORDER BY ts)' : ''}
),
vagg AS (SELECT visit, max(ts) - min(ts) AS dur, sum(name = 'pageview') AS pvs FROM ev2 ${whole ? '' : 'WHERE 0'} GROUP BY visit),
f AS (
  SELECT * FROM (
    SELECT ev2.*,
      ${
        q.metrics.includes('scroll_depth')
          ? `CASE WHEN name = 'pageview' THEN COALESCE(max(CASE WHEN name = 'scroll' THEN CAST(json_extract(props, '$.depth') AS INTEGER) END) OVER (PARTITION BY pageview_id), 0) END`
          : 'NULL'
      } AS depth
    FROM ev2
  ) ${where ? `WHERE ${where}` : ''}
),
g1 AS (
  SELECT ${[...d, 'visit', 'visitor'].join(', ')}, sum(name = 'pageview') AS pv, count(*) AS n, sum(depth) AS depth_sum
  FROM f GROUP BY ${[...dn, 'visit', 'visitor'].join(', ')}
)
SELECT ${[...dn, ''].join(', ')}
  count(DISTINCT g1.visitor) AS visitors, count(DISTINCT g1.visit) AS visits, sum(g1.pv) AS pageviews, sum(g1.n) AS events,
  100.0 * sum(vagg.pvs <= 1) / count(*) AS bounce_rate, avg(vagg.dur) / 1000.0 AS visit_duration,
  sum(g1.pv) * 1.0 / count(DISTINCT g1.visit) AS views_per_visit, sum(g1.depth_sum) * 1.0 / NULLIF(sum(g1.pv), 0) AS scroll_depth
FROM g1 LEFT JOIN vagg ON vagg.visit = g1.visit
${dn.length ? `GROUP BY ${dn.join(', ')}` : ''}`;
}

type Row = Record<string, number | string | null>;
const round = (m: Metric, v: number | null): number | null => {
  if (v === null || v === undefined) return m === 'scroll_depth' ? null : 0;
  if (m === 'bounce_rate' || m === 'visit_duration' || m === 'scroll_depth') return Math.round(v);
  if (m === 'views_per_visit' || m === 'conversion_rate') return Math.round(v * 100) / 100;
  return v;
};

export async function runQuery(db: D1Database, q: Query, tz: string, now: number) {
  const range = resolveRange(q.date_range, tz, now);
  const off = range.offset;
  const dims = q.dimensions as Dimension[];
  for (const [key] of q.order_by ?? []) {
    if (!(q.metrics as string[]).includes(key) && !(dims as string[]).includes(key)) {
      throw apiError(400, 'invalid_field', `order_by must name one of the query's metrics or dimensions: ${[...q.metrics, ...dims].join(', ')}`, 'order_by');
    }
  }
  const run = async (filters: Query['filters'], ds: Dimension[]) => {
    const params: unknown[] = [q.site_id, range.from, range.to];
    const { results } = await db.prepare(sql(q, off, filters, ds, params)).bind(...params).all<Row>();
    return results;
  };
  const rows = await run(q.filters, dims);

  // conversion_rate: visitors who did the goal (event:name filter or dimension) out of all visitors of the group.
  const conv = new Map<string, number>();
  if (q.metrics.includes('conversion_rate')) {
    const goalByFilter = q.filters.some(([op, dim]) => op === 'is' && dim === 'event:name');
    if (!goalByFilter && !dims.includes('event:name')) {
      throw apiError(400, 'invalid_field', 'conversion_rate needs a goal: an ["is", "event:name", [...]] filter or the event:name dimension', 'metrics');
    }
    const baseDims = dims.filter((x) => x !== 'event:name');
    for (const r of await run(q.filters.filter(([, dim]) => dim !== 'event:name'), baseDims)) {
      conv.set(JSON.stringify(baseDims.map((_, i) => r[`d${i}`])), r.visitors as number);
    }
  }
  let results = rows
    .filter((r) => (r.visits as number) > 0)
    .map((r) => {
      const dv = dims.map((_, i) => r[`d${i}`] ?? null);
      const baseKey = JSON.stringify(dims.map((x, i) => [x, dv[i]]).filter(([x]) => x !== 'event:name').map(([, v]) => v));
      return {
        dimensions: dv,
        metrics: (q.metrics as Metric[]).map((m) =>
          m === 'conversion_rate' ? round(m, (100 * (r.visitors as number)) / (conv.get(baseKey) || Infinity)) : round(m, r[m] as number | null),
        ),
      };
    });
  // An aggregate without traffic is one row of zeros, not an empty list.
  if (!dims.length && !results.length) results = [{ dimensions: [], metrics: (q.metrics as Metric[]).map((m) => round(m, null)) }];
  const order = q.order_by ?? (dims.some((x) => x.startsWith('time:')) ? [[dims.find((x) => x.startsWith('time:'))!, 'asc']] : [[q.metrics[0], 'desc']]);
  const idx = (key: string) => ((dims as string[]).includes(key) ? { dim: (dims as string[]).indexOf(key) } : { met: (q.metrics as string[]).indexOf(key) });
  results.sort((a, b) => {
    for (const [key, dir] of order as [string, 'asc' | 'desc'][]) {
      const i = idx(key);
      const x = ('dim' in i ? a.dimensions[i.dim!] : a.metrics[i.met!]) ?? null;
      const y = ('dim' in i ? b.dimensions[i.dim!] : b.metrics[i.met!]) ?? null;
      const c = x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1;
      if (c) return dir === 'asc' ? c : -c;
    }
    return JSON.stringify(a.dimensions) < JSON.stringify(b.dimensions) ? -1 : 1;
  });
  const limit = q.pagination?.limit ?? q.limit ?? 100;
  const offset = q.pagination?.offset ?? 0;
  const total = results.length;
  results = results.slice(offset, offset + limit);
  return {
    results,
    meta: { date_range: range.label, time_zone: tz, total_rows: total, limit, offset, next_offset: offset + limit < total ? offset + limit : null },
    query: { ...q, date_range: range.label },
  };
}

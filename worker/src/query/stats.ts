import { apiError } from '../http/errors';
import type { Dimension, Metric, Query } from './schema';
import { catchUpVisits, eventVisitor, SLOT_MS, visitOf } from '../storage/visits';
import { resolveRange } from './time';

/** Metrics a visit row answers by itself (the rollup in `visits`). */
const VISIT_METRICS = new Set<Metric>(['visitors', 'visits', 'pageviews', 'events', 'bounce_rate', 'visit_duration', 'views_per_visit']);
/** Metrics about whole visits: with event-level selection they read the visits of the selected events. */
const WHOLE_VISIT = new Set<Metric>(['bounce_rate', 'visit_duration']);

/** Visit attributes: columns of `visits` (read through alias `v`). */
const VISIT_COLUMN: Record<Extract<Dimension, `visit:${string}`>, string> = {
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
};

type Filter = Query['filters'][number];
const isVisitDim = (d: string): d is keyof typeof VISIT_COLUMN => d in VISIT_COLUMN;

/**
 * Shared by every plan: `col(dim)` names the column; each filter's values are bound as one JSON array read with json_each,
 * because D1 binds at most 100 parameters a statement and one parameter per value ran out with two long lists. SQLite
 * still seeks an index with `IN (SELECT value FROM json_each(?))`, as with a literal list. The `contains` needles are
 * renamed in a subquery so that the outer column (`path`, say) is never taken for a json_each column of the same name.
 */
function conditions(filters: Filter[], col: (d: Dimension) => string, p: (v: unknown) => string): string[] {
  return filters.map(([op, dim, values]) => {
    const c = col(dim as Dimension);
    const list = p(JSON.stringify(values));
    if (op === 'is') return `${c} IN (SELECT value FROM json_each(${list}))`;
    if (op === 'is_not') return `(${c} IS NULL OR ${c} NOT IN (SELECT value FROM json_each(${list})))`;
    return `EXISTS (SELECT 1 FROM (SELECT value AS needle FROM json_each(${list})) WHERE instr(lower(${c}), lower(needle)) > 0)`;
  });
}
/** The metrics' SQL (only those asked for, plus visitors for conversion_rate) and `n_rows`, which tells empty groups apart. */
function metricColumns(q: Query, exprs: Partial<Record<Metric, string>>): string {
  const wanted = new Set<Metric>(q.metrics.includes('conversion_rate') ? [...q.metrics, 'visitors'] : q.metrics);
  return [...wanted].filter((m) => exprs[m]).map((m) => `${exprs[m]} AS ${m}`).concat('count(*) AS n_rows').join(', ');
}
const whereClause = (conds: string[]) => (conds.length ? `WHERE ${conds.join(' AND ')}` : '');
const groupBy = (dims: Dimension[]) => (dims.length ? `GROUP BY ${dims.map((_, i) => `d${i}`).join(', ')}` : '');
/** A rollup row's visitor and user type: the rollups carry the stitched user id themselves. */
const rollupVisitor = (a: string) =>
  `COALESCE(${a}.user_id, ${a}.anon_id, ${a}.visitor_hash, ${a}.visit) AS visitor, CASE WHEN ${a}.user_id IS NULL THEN 'anonymous' ELSE 'identified' END AS user_type`;
const timeExpr = (d: Dimension, ts: string, tzOff: number) =>
  `strftime('${d === 'time:day' ? '%Y-%m-%d' : '%Y-%m-%d %H:00'}', (${ts} + ${tzOff}) / 1000, 'unixepoch')`;

/**
 * Definitions (docs/ARCHITECTURE.md, "Stats"):
 * - visitor: the stitched identity — the user id when the anonymous id is linked, else the anonymous id, else (cookieless) the
 *   daily-salted visitor hash;
 * - visit: a session id (30 min inactivity, from the snippet), or for cookieless traffic the visitor hash of the day;
 * - bounce: a visit with at most one page view; visit duration: last minus first event of the visit (engagement time is sent at
 *   pagehide, so a single-page visit that was read has a duration);
 * - scroll depth: per page view the deepest milestone reached (0 when none), averaged over page views;
 * - filters select events; visit metrics are computed over the whole visits those events belong to.
 *
 * Two plans. Without event-level selection (no event:* dimension or filter, no scroll depth or conversion rate) the query reads
 * the per-visit rollup: one row per visit, attributed — with its page views — to the time it started. Otherwise it reads the
 * events of the range (by their own time) and joins the rollup for visit attributes and whole-visit metrics.
 */
function visitPlan(q: Query, tzOff: number, dims: Dimension[], params: unknown[]): string {
  const p = (v: unknown) => `?${params.push(v)}`;
  const col = (d: Dimension) => (d === 'user:type' ? 'user_type' : d.startsWith('time:') ? timeExpr(d, 'start_ts', tzOff) : VISIT_COLUMN[d as keyof typeof VISIT_COLUMN]);
  const where = conditions(q.filters, col, p);
  const d = dims.map((x, i) => `${col(x)} AS d${i}`);
  return `
WITH v AS (
  SELECT v.*, ${rollupVisitor('v')}
  FROM visits v
  WHERE v.site_id = ?1 AND v.start_ts >= ?2 AND v.start_ts < ?3
)
SELECT ${[...d, ''].join(', ')} ${metricColumns(q, {
    visitors: 'count(DISTINCT visitor)',
    visits: 'count(*)',
    pageviews: 'sum(pageviews)',
    events: 'sum(events)',
    bounce_rate: '100.0 * sum(pageviews <= 1) / count(*)',
    visit_duration: 'avg(end_ts - start_ts) / 1000.0',
    views_per_visit: 'sum(pageviews) * 1.0 / count(*)',
  })}
FROM v ${whereClause(where)}
${groupBy(dims)}`;
}

function eventPlan(q: Query, tzOff: number, filters: Filter[], dims: Dimension[], params: unknown[]): string {
  const p = (v: unknown) => `?${params.push(v)}`;
  const col = (d: Dimension) =>
    d === 'event:name' ? 'name' : d === 'event:page' ? 'path' : d === 'user:type' ? 'user_type' : d.startsWith('time:') ? timeExpr(d, 'ts', tzOff) : `v_${VISIT_COLUMN[d as keyof typeof VISIT_COLUMN]}`;
  const whole = q.metrics.some((m) => WHOLE_VISIT.has(m));
  const scroll = q.metrics.includes('scroll_depth');
  const visitDims = [...dims, ...filters.map(([, dim]) => dim)].filter(isVisitDim);
  // Scroll depth reads the scroll events of each page view, so it needs every event of the range; otherwise event:name and
  // event:page filters narrow the scan itself.
  const pushed = scroll ? [] : filters.filter(([, dim]) => dim === 'event:name' || dim === 'event:page');
  const scan = conditions(pushed, (d) => `e.${col(d)}`, p);
  const where = conditions(
    filters.filter((f) => !pushed.includes(f)),
    col,
    p,
  );
  const joinVisits = whole || visitDims.length > 0;
  const visitCols = [...new Set(visitDims)].map((x) => `v.${VISIT_COLUMN[x]} AS v_${VISIT_COLUMN[x]}`);
  if (whole) visitCols.push('v.pageviews AS v_pvs', 'v.end_ts - v.start_ts AS v_dur');
  const d = dims.map((x, i) => `${col(x)} AS d${i}`);
  const dn = dims.map((_, i) => `d${i}`);
  const depth = scroll
    ? `CASE WHEN name = 'pageview' THEN COALESCE(max(CASE WHEN name = 'scroll' THEN CAST(json_extract(props, '$.depth') AS INTEGER) END) OVER (PARTITION BY pageview_id), 0) END`
    : 'NULL';
  // Only the columns and metrics the query asks for: every extra column is carried through the GROUP BY sort.
  const cols = [
    'e.name',
    'e.path',
    'e.ts',
    `${visitOf('e')} AS visit`,
    `${eventVisitor('e', 'l')} AS visitor`,
    ...([...dims, ...filters.map(([, dim]) => dim)].includes('user:type')
      ? [`CASE WHEN COALESCE(e.user_id, l.user_id) IS NULL THEN 'anonymous' ELSE 'identified' END AS user_type`]
      : []),
    ...(scroll ? ['e.pageview_id', 'e.props'] : []),
    ...visitCols,
  ];
  const head = `
WITH ev AS (
  SELECT ${cols.join(', ')}
  FROM events e LEFT JOIN identity_links l ON l.site_id = e.site_id AND l.anon_id = e.anon_id
  ${joinVisits ? `LEFT JOIN visits v ON v.site_id = e.site_id AND v.visit = ${visitOf('e')}` : ''}
  WHERE e.site_id = ?1 AND e.ts >= ?2 AND e.ts < ?3 AND e.bot = 0 ${scan.length ? `AND ${scan.join(' AND ')}` : ''}
),
f AS (${scroll ? `SELECT * FROM (SELECT ev.*, ${depth} AS depth FROM ev)` : 'SELECT * FROM ev'} ${whereClause(where)})`;
  if (!whole) {
    return `${head}
SELECT ${[...d, ''].join(', ')} ${metricColumns(q, {
      visitors: 'count(DISTINCT visitor)',
      visits: 'count(DISTINCT visit)',
      pageviews: "sum(name = 'pageview')",
      events: 'count(*)',
      views_per_visit: "sum(name = 'pageview') * 1.0 / count(DISTINCT visit)",
      scroll_depth: "sum(depth) * 1.0 / NULLIF(sum(name = 'pageview'), 0)",
    })}
FROM f ${groupBy(dims)}`;
  }
  // Whole-visit metrics: one row per (group, visit) first, so that each visit counts once per group.
  return `${head},
g1 AS (
  SELECT ${[...d, ''].join(', ')} visit, visitor, sum(name = 'pageview') AS pv, count(*) AS n, ${scroll ? 'sum(depth)' : 'NULL'} AS depth_sum, max(v_pvs) AS v_pvs, max(v_dur) AS v_dur
  FROM f GROUP BY ${[...dn, 'visit', 'visitor'].join(', ')}
)
SELECT ${[...dn, ''].join(', ')} ${metricColumns(q, {
    visitors: 'count(DISTINCT visitor)',
    visits: 'count(DISTINCT visit)',
    pageviews: 'sum(pv)',
    events: 'sum(n)',
    bounce_rate: '100.0 * sum(v_pvs <= 1) / count(*)',
    visit_duration: 'avg(v_dur) / 1000.0',
    views_per_visit: 'sum(pv) * 1.0 / count(DISTINCT visit)',
    scroll_depth: 'sum(depth_sum) * 1.0 / NULLIF(sum(pv), 0)',
  })}
FROM g1 ${groupBy(dims)}`;
}

/**
 * Page views only (an `is event:name pageview` filter), split or filtered by page, user type or time, counting visitors,
 * visits and page views: the page rollup answers, one row per (15-minute slot, page, visit).
 */
const PAGE_METRICS = new Set<Metric>(['visitors', 'visits', 'pageviews', 'events', 'views_per_visit']);
function pagePlan(q: Query, tzOff: number, filters: Filter[], dims: Dimension[], range: { from: number; to: number }, params: unknown[]): string | null {
  const pageviewsOnly = filters.filter(([op, dim, values]) => op === 'is' && dim === 'event:name' && values.length === 1 && values[0] === 'pageview');
  const rest = filters.filter((f) => !pageviewsOnly.includes(f));
  const aligned = range.from % SLOT_MS === 0 && (range.to % SLOT_MS === 0 || range.to === Number.MAX_SAFE_INTEGER);
  if (
    !pageviewsOnly.length ||
    !aligned ||
    !q.metrics.every((m) => PAGE_METRICS.has(m)) ||
    ![...dims, ...rest.map(([, dim]) => dim)].every((x) => x === 'event:page' || x === 'user:type' || x.startsWith('time:'))
  ) {
    return null;
  }
  const p = (v: unknown) => `?${params.push(v)}`;
  const col = (d: Dimension) => (d === 'event:page' ? 'path' : d === 'user:type' ? 'user_type' : timeExpr(d, `slot * ${SLOT_MS}`, tzOff));
  const where = conditions(rest, col, p);
  const d = dims.map((x, i) => `${col(x)} AS d${i}`);
  return `
WITH pg AS (
  SELECT pg.slot, pg.path, pg.visit, pg.pageviews, ${rollupVisitor('pg')}
  FROM visit_pages pg
  WHERE pg.site_id = ?1 AND pg.slot >= ${p(Math.floor(range.from / SLOT_MS))} AND pg.slot < ${p(Math.ceil(range.to / SLOT_MS))}
)
SELECT ${[...d, ''].join(', ')} ${metricColumns(q, {
    visitors: 'count(DISTINCT visitor)',
    visits: 'count(DISTINCT visit)',
    pageviews: 'sum(pageviews)',
    events: 'sum(pageviews)',
    views_per_visit: 'sum(pageviews) * 1.0 / count(DISTINCT visit)',
  })}
FROM pg ${whereClause(where)}
${groupBy(dims)}`;
}

/** The visit rollup answers when nothing selects or splits individual events. */
const visitLevel = (q: Query, filters: Filter[], dims: Dimension[]) =>
  q.metrics.every((m) => VISIT_METRICS.has(m)) && ![...dims, ...filters.map(([, dim]) => dim)].some((x) => x.startsWith('event:'));

function sql(q: Query, tzOff: number, filters: Filter[], dims: Dimension[], range: { from: number; to: number }, params: unknown[]): string {
  if (visitLevel(q, filters, dims)) return visitPlan({ ...q, filters }, tzOff, dims, params);
  return pagePlan(q, tzOff, filters, dims, range, params) ?? eventPlan(q, tzOff, filters, dims, params);
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
  await catchUpVisits(db);
  const run = async (filters: Query['filters'], ds: Dimension[]) => {
    const params: unknown[] = [q.site_id, range.from, range.to];
    const { results } = await db.prepare(sql(q, off, filters, ds, range, params)).bind(...params).all<Row>();
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
    .filter((r) => (r.n_rows as number) > 0)
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

import { apiError } from '../http/errors';
import type { Dimension, Metric, Query } from './schema';
import { catchUpVisits, eventVisitor, SLOT_MS, visitOf } from '../storage/visits';
import { hotWindowWarning } from './hot-window';
import { getSite } from '../config/sites';
import {
  conditions, CURRENCY, type Filter, firstInRange, groupBy, isVisitDim, metricColumns, REVENUE_EXPRS, rollupVisitor, timeExpr, userType, VISIT_COLUMN, wholeChains, whereClause,
} from './sql-parts';
import { goalEvents, queryGoals } from './goals';
import { averageOf, REVENUE_METRICS, sumRevenue, totalOf, type Revenue } from './revenue';
import { resolveRange } from './time';

/** Metrics a visit row answers by itself (the rollup in `visits`). */
const VISIT_METRICS = new Set<Metric>(['visitors', 'visits', 'pageviews', 'events', 'bounce_rate', 'visit_duration', 'views_per_visit']);
/** Metrics about whole visits: with event-level selection they read the visits of the selected events. */
const WHOLE_VISIT = new Set<Metric>(['bounce_rate', 'visit_duration']);

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
  const col = (d: Dimension, ts = 'start_ts') => (d === 'user:type' ? 'user_type' : d.startsWith('time:') ? timeExpr(d, ts, tzOff) : VISIT_COLUMN[d as keyof typeof VISIT_COLUMN]);
  const where = conditions(q.filters, col, p);
  // Time buckets group as integers (groupBy); each bucket's label is formatted once, from its first start.
  const d = dims.map((x, i) => `${col(x, 'min(start_ts)')} AS d${i}`);
  return `
WITH v AS (
  SELECT v.*, ${rollupVisitor('v')}
  FROM visits v
  WHERE v.site_id = ?1 AND v.start_ts >= ?2 AND v.start_ts < ?3
)
SELECT ${[...d, ''].join(', ')} ${metricColumns(q, {
    visitors: wholeChains(dims, q.filters) ? firstInRange('prev_start', 'start_ts', '?2', dims, tzOff) : 'count(DISTINCT visitor)',
    visits: 'count(*)',
    pageviews: 'sum(pageviews)',
    events: 'sum(events)',
    bounce_rate: '100.0 * sum(pageviews <= 1) / count(*)',
    visit_duration: 'avg(end_ts - start_ts) / 1000.0',
    views_per_visit: 'sum(pageviews) * 1.0 / count(*)',
  })}
FROM v ${whereClause(where)}
${groupBy(dims, 'start_ts', tzOff)}`;
}

function eventPlan(q: Query, tzOff: number, filters: Filter[], dims: Dimension[], params: unknown[]): string {
  const p = (v: unknown) => `?${params.push(v)}`;
  const col = (d: Dimension) =>
    d === 'event:name' ? 'name' : d === 'event:page' ? 'path' : d === 'event:goal' ? 'goal' : d === CURRENCY ? 'currency' : d === 'user:type' ? 'user_type' : d.startsWith('time:') ? timeExpr(d, 'ts', tzOff) : `v_${VISIT_COLUMN[d as keyof typeof VISIT_COLUMN]}`;
  const whole = q.metrics.some((m) => WHOLE_VISIT.has(m));
  const scroll = q.metrics.includes('scroll_depth');
  // event:goal: the events of the goals asked for, one row per (event, goal) (goals.ts); revenue: the events carrying it.
  const goals = [...dims, ...filters.map(([, dim]) => dim)].includes('event:goal') ? queryGoals(q) : null;
  if (goals && scroll) throw apiError(400, 'invalid_field', 'scroll_depth can not be split or filtered by event:goal', 'metrics');
  const revenue = (q.metrics as string[]).includes('revenue_minor');
  // An event completing several of the goals counts once unless the goals are split.
  const dedupe = goals && goals.length > 1 && !dims.includes('event:goal');
  const visitDims = [...dims, ...filters.map(([, dim]) => dim)].filter(isVisitDim);
  // Scroll depth reads the scroll events of each page view, so it needs every event of the range; otherwise event:name and
  // event:page filters narrow the scan itself.
  const pushed = scroll ? [] : filters.filter(([, dim]) => dim === 'event:name' || dim === 'event:page');
  const scan = conditions(pushed, (d) => `e.${col(d)}`, p);
  // Revenue of goals: the goal events are sought by name and page, so instead of reading each one's row for its revenue, they
  // are matched against the (few) events carrying revenue, read from their own covering index: only matches leave the index.
  if (revenue) {
    scan.push(
      goals
        ? 'e.seq IN (SELECT r.seq FROM events r INDEXED BY events_site_revenue WHERE r.site_id = ?1 AND r.revenue IS NOT NULL AND r.ts >= ?2 AND r.ts < ?3)'
        : 'e.revenue IS NOT NULL',
    );
  }
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
    // The visit only where a metric counts visits: without it, goal reads stay inside their covering index.
    ...(whole || q.metrics.some((m) => m === 'visits' || m === 'views_per_visit') ? [`${visitOf('e')} AS visit`] : []),
    `${eventVisitor('e', 'l')} AS visitor`,
    ...([...dims, ...filters.map(([, dim]) => dim)].includes('user:type')
      ? [`${userType('COALESCE(e.user_id, l.user_id)', 'e.anon_id')} AS user_type`]
      : []),
    ...(scroll ? ['e.pageview_id', 'e.props'] : []),
    ...(goals ? ['g.id AS goal', ...(dedupe ? ['e.seq'] : [])] : []),
    ...(revenue ? ['e.revenue', 'e.currency'] : []),
    ...visitCols,
  ];
  const head = `
WITH ev AS (
  SELECT ${cols.join(', ')}
  FROM ${goals ? goalEvents(goals, p) : revenue ? 'events e INDEXED BY events_site_revenue' : 'events e'} LEFT JOIN identity_links l ON l.site_id = e.site_id AND l.anon_id = e.anon_id
  ${joinVisits ? `LEFT JOIN visits v ON v.site_id = e.site_id AND v.visit = ${visitOf('e')}` : ''}
  WHERE e.site_id = ?1 AND e.ts >= ?2 AND e.ts < ?3 AND e.bot = 0 ${scan.length ? `AND ${scan.join(' AND ')}` : ''}
),
f AS (${scroll ? `SELECT * FROM (SELECT ev.*, ${depth} AS depth FROM ev)` : 'SELECT * FROM ev'} ${whereClause(where)}${dedupe ? ' GROUP BY seq' : ''})`;
  if (!whole) {
    return `${head}
SELECT ${[...d, ''].join(', ')} ${metricColumns(q, {
      visitors: 'count(DISTINCT visitor)',
      visits: 'count(DISTINCT visit)',
      pageviews: "sum(name = 'pageview')",
      events: 'count(*)',
      views_per_visit: "sum(name = 'pageview') * 1.0 / count(DISTINCT visit)",
      scroll_depth: "sum(depth) * 1.0 / NULLIF(sum(name = 'pageview'), 0)",
      ...REVENUE_EXPRS,
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
  const col = (d: Dimension, slot = 'slot') => (d === 'event:page' ? 'path' : d === 'user:type' ? 'user_type' : timeExpr(d, `${slot} * ${SLOT_MS}`, tzOff));
  const where = conditions(rest, col, p);
  const d = dims.map((x, i) => `${col(x, 'min(slot)')} AS d${i}`);
  const from = p(Math.floor(range.from / SLOT_MS));
  // Split by page, each group holds whole chains (a visitor's views of one path): unique visitors are counted, not sorted.
  const chained = dims.includes('event:page');
  return `
WITH pg AS (
  SELECT pg.slot, pg.path, pg.visit, pg.pageviews, pg.prev_slot, ${rollupVisitor('pg')}
  FROM visit_pages pg
  WHERE pg.site_id = ?1 AND pg.slot >= ${from} AND pg.slot < ${p(Math.ceil(range.to / SLOT_MS))}
)
SELECT ${[...d, ''].join(', ')} ${metricColumns(q, {
    visitors: chained ? firstInRange('prev_slot', 'slot', from, dims, tzOff, ` * ${SLOT_MS}`) : 'count(DISTINCT visitor)',
    visits: 'count(DISTINCT visit)',
    pageviews: 'sum(pageviews)',
    events: 'sum(pageviews)',
    views_per_visit: 'sum(pageviews) * 1.0 / count(DISTINCT visit)',
  })}
FROM pg ${whereClause(where)}
${groupBy(dims, `slot * ${SLOT_MS}`, tzOff)}`;
}

/** The visit rollup answers when nothing selects or splits individual events. */
const visitLevel = (q: Query, filters: Filter[], dims: Dimension[]) =>
  q.metrics.every((m) => VISIT_METRICS.has(m)) && ![...dims, ...filters.map(([, dim]) => dim)].some((x) => x.startsWith('event:'));

/** The statement, and whether it reads raw events (the event plan) — which D1 keeps for the hot window only. */
function sql(q: Query, tzOff: number, filters: Filter[], dims: Dimension[], range: { from: number; to: number }, params: unknown[]): { text: string; events: boolean } {
  // `realtime` counts who had an event in the last minutes: the event plan (the rollups would count visits that started then).
  if (visitLevel(q, filters, dims) && q.date_range !== 'realtime') return { text: visitPlan({ ...q, filters }, tzOff, dims, params), events: false };
  const pages = pagePlan(q, tzOff, filters, dims, range, params);
  return pages ? { text: pages, events: false } : { text: eventPlan(q, tzOff, filters, dims, params), events: true };
}

type Row = Record<string, number | string | null>;
const round = (m: Metric, v: number | null): number | null => {
  if (v === null || v === undefined) return m === 'scroll_depth' ? null : 0;
  if (m === 'bounce_rate' || m === 'visit_duration' || m === 'scroll_depth') return Math.round(v);
  if (m === 'views_per_visit' || m === 'conversion_rate') return Math.round(v * 100) / 100;
  return v;
};

/**
 * `hotFrom`: where D1's raw events begin (storage/hot-window.ts `rawFrom`: where retention removed them). A range reaching further back is answered
 * from the rollups where the plan reads them (they keep the full retention); an event-plan read starts at `hotFrom`
 * instead — every event before it is gone from D1, some may linger until the hourly retention run — and
 * `meta.warnings` says so: a number is never silently smaller than the range asked for.
 */
export async function runQuery(db: D1Database, q: Query, tz: string, now: number, hotFrom?: number) {
  const range = resolveRange(q.date_range, tz, now);
  const off = range.offset;
  const dims = q.dimensions as Dimension[];
  for (const [key] of q.order_by ?? []) {
    if (!(q.metrics as string[]).includes(key) && !(dims as string[]).includes(key)) {
      throw apiError(400, 'invalid_field', `order_by must name one of the query's metrics or dimensions: ${[...q.metrics, ...dims].join(', ')}`, 'order_by');
    }
  }
  await catchUpVisits(db);
  const warnings: string[] = [];
  // Revenue metrics are read apart (below): they choose no plan.
  const base = { ...q, metrics: q.metrics.filter((m) => !REVENUE_METRICS.has(m)) };
  const run = async (filters: Query['filters'], ds: Dimension[], qq: Query = base) => {
    const params: unknown[] = [q.site_id, range.from, range.to];
    const plan = sql(qq, off, filters, ds, range, params);
    if (plan.events && hotFrom !== undefined && range.from < hotFrom) {
      params[1] = Math.min(hotFrom, range.to);
      if (!warnings.length) warnings.push(hotWindowWarning(hotFrom));
    }
    const { results } = await db.prepare(plan.text).bind(...params).all<Row>();
    return results;
  };
  // total_revenue, average_revenue: the events carrying revenue, per group and currency, added up in the site's currency.
  let revenue: Revenue | null = null;
  if (base.metrics.length < q.metrics.length) {
    const sums = { ...q, metrics: ['revenue_minor', 'orders'] as unknown as Metric[] };
    revenue = sumRevenue(await run(q.filters, [...dims, CURRENCY], sums), dims.length, getSite(q.site_id)!);
  }
  const rows = base.metrics.length
    ? await run(q.filters, dims)
    : [...revenue!.groups.values()].map((g): Row => ({ ...Object.fromEntries(g.dims.map((v, i) => [`d${i}`, v])), n_rows: 1 }));

  // conversion_rate: visitors who did the goal (event:goal or event:name, filter or dimension) out of all visitors of the group.
  const isGoal = (x: string) => x === 'event:name' || x === 'event:goal';
  const conv = new Map<string, number>();
  if (q.metrics.includes('conversion_rate')) {
    const goalByFilter = q.filters.some(([op, dim]) => op === 'is' && isGoal(dim));
    if (!goalByFilter && !dims.some(isGoal)) {
      throw apiError(400, 'invalid_field', 'conversion_rate needs a goal: an ["is", "event:goal", [...]] (or "event:name") filter, or that dimension', 'metrics');
    }
    const baseDims = dims.filter((x) => !isGoal(x));
    // Only visitors: with no event-level filter or split left, the visit rollup answers — unless the range reaches before the
    // hot window, where the goal side counts fewer days: then both sides come from the same (clamped) events.
    const inHot = hotFrom === undefined || range.from >= hotFrom;
    for (const r of await run(q.filters.filter(([, dim]) => !isGoal(dim)), baseDims, inHot ? { ...base, metrics: ['visitors'] } : base)) {
      conv.set(JSON.stringify(baseDims.map((_, i) => r[`d${i}`])), r.visitors as number);
    }
  }
  let results = rows
    .filter((r) => (r.n_rows as number) > 0)
    .map((r) => {
      const dv = dims.map((_, i) => r[`d${i}`] ?? null);
      const baseKey = JSON.stringify(dims.map((x, i) => [x, dv[i]]).filter(([x]) => !isGoal(x as string)).map(([, v]) => v));
      const money = revenue?.groups.get(JSON.stringify(dv));
      return {
        dimensions: dv,
        metrics: (q.metrics as Metric[]).map((m) =>
          m === 'conversion_rate'
            ? round(m, (100 * (r.visitors as number)) / (conv.get(baseKey) || Infinity))
            : m === 'total_revenue'
              ? totalOf(money, revenue!.currency)
              : m === 'average_revenue'
                ? averageOf(money, revenue!.currency)
                : round(m, r[m] as number | null),
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
    meta: {
      date_range: range.label, time_zone: tz, total_rows: total, limit, offset, next_offset: offset + limit < total ? offset + limit : null,
      ...(revenue && { currency: revenue.currency }),
      ...((warnings.length || revenue?.warnings.length) && { warnings: [...warnings, ...(revenue?.warnings ?? [])] }),
    },
    query: { ...q, date_range: range.label },
  };
}

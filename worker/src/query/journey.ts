import type { SiteConfig } from '../config/schema';
import { goalKpiId, KPIS, STAGES, type Kpi, type Stage } from '../config/kpis';
import { catchUpVisits } from '../storage/visits';
import { rawFrom } from '../storage/hot-window';
import { siteGoals } from './goals';
import { hotWindowWarning } from './hot-window';
import { ENGAGEMENT_SQL, goalsSql, REVENUE_SQL, UPGRADES_SQL, VISITS_SQL } from './journey-sql';
import { averageOf, sumRevenue, totalOf, type RevenueRow } from './revenue';
import type { JourneyQuery } from './schema';
import { addDays, localMidnight, resolveRange } from './time';

/**
 * POST /api/v1/journey: the KPIs of the five stages for a range and for the period of equal length before it, each with
 * the site's target when it sets one, and the identity spectrum of the range. Definitions: README, "Journey KPIs".
 * Visit figures come from the visit rollup (full retention); goals, revenue, impressions and shares from raw events,
 * which D1 keeps for the hot window only (`meta.warnings` says when a period reaches before it).
 */
type Row = Record<string, string | number | null>;
type Period = { cur: number; prev: number };

const DAY = 86_400_000;
const pct = (a: number, b: number) => (b ? Math.round((10_000 * a) / b) / 100 : 0);
const ratio = (a: number, b: number) => (b ? Math.round((100 * a) / b) / 100 : 0);

/** The period of equal length before the range: as many local days for a date range, as many milliseconds otherwise. */
function previousOf(range: ReturnType<typeof resolveRange>, j: JourneyQuery, tz: string) {
  if (j.date_range === 'all') return null;
  if (j.date_range === 'realtime') return { from: 2 * range.from - range.to, label: range.label };
  const days = Math.round((Date.parse(range.label[1]) - Date.parse(range.label[0])) / DAY) + 1;
  const start = addDays(range.label[0], -days);
  return { from: localMidnight(start, tz), label: [start, addDays(range.label[0], -1)] as [string, string] };
}

/** Binds as many of `params` as the statement names (D1 wants exactly that many). */
function bound(db: D1Database, sql: string, params: unknown[]): D1PreparedStatement {
  const top = Math.max(0, ...[...sql.matchAll(/\?(\d+)/g)].map((m) => Number(m[1])));
  return db.prepare(sql).bind(...params.slice(0, top));
}

export async function runJourney(db: D1Database, j: JourneyQuery, site: SiteConfig, now: number) {
  const range = resolveRange(j.date_range, site.timezone, now);
  const prev = previousOf(range, j, site.timezone);
  const prevFrom = prev ? Math.max(0, prev.from) : range.from;
  // Where D1's raw events begin: where retention removed them (0 when it never did), not where the clock says.
  const hot = (await rawFrom(db, site.id)) ?? 0;
  const eventsFrom = Math.min(Math.max(prevFrom, hot), range.to);
  const params: unknown[] = [site.id, range.from, range.to, prevFrom, eventsFrom, range.offset, Math.min(hot, range.to)];
  const goals = siteGoals(site.id);
  const goalParams = [...params];
  await catchUpVisits(db);
  const [visits, goalRows, revenueAll, engagement, upgrades] = await db.batch<Row>([
    bound(db, VISITS_SQL, params),
    bound(db, goalsSql(goals, (x) => `?${goalParams.push(x)}`), goalParams),
    bound(db, REVENUE_SQL, params),
    bound(db, ENGAGEMENT_SQL, params),
    bound(db, UPGRADES_SQL, params),
  ]);

  // The revenue statement's rows per currency, without its buyers rows.
  const revenueRows = { results: revenueAll!.results.filter((r) => r.d1 !== null) };
  /** The value of column `col` of the row of kind `k` (and `key`), for both periods. */
  const pick = (rows: Row[], k: string, col: string, key: string | number | null = null): Period => {
    const at = (cur: number) => Number(rows.find((r) => r.k === k && Number(r.cur) === cur && (key === null || r.key === key))?.[col] ?? 0);
    return { cur: at(1), prev: at(0) };
  };
  const of = (f: (x: 'cur' | 'prev') => number): Period => ({ cur: f('cur'), prev: f('prev') });
  const v = visits!.results;
  const g = goalRows!.results;
  const e = engagement!.results;
  const n = {
    visits: pick(v, 'visits', 'a'),
    bounces: pick(v, 'visits', 'b'),
    duration: pick(v, 'visits', 'c'),
    actions: pick(v, 'visits', 'd'),
    campaign: pick(v, 'visits', 'e'),
    referred: pick(v, 'visits', 'f'),
    visitors: pick(v, 'visits', 'va'),
    fresh: pick(v, 'visits', 'vb'),
    returning: pick(v, 'visits', 'vc'),
    retained: pick(v, 'visits', 'vd'),
    registered: pick(v, 'visits', 've'),
    registeredVisits: pick(v, 'visits', 'vf'),
    anonymous: pick(v, 'visits', 'vg'),
    unknown: pick(v, 'visits', 'vh'),
    impressions: pick(e, 'impressions', 'a'),
    clicked: pick(e, 'impressions', 'b'),
    shares: pick(e, 'shares', 'a'),
    // goalsSql keys stages and goals by their index (in STAGES, in `goals`)
    stage: (s: Stage) => pick(g, 'stage', 'a', STAGES.indexOf(s)),
  };
  // KPIs counted from raw events: their previous value is left out (null) when the period before starts before the hot
  // window — part of it is gone from D1, and a smaller number there would read as growth.
  const warnings: string[] = [];
  const fromEvents = new Set(['impressions', 'impression_ctr', 'soft_conversions', 'conversions', 'conversion_rate', 'revenue', 'average_order_value', 'new_customer_rate', 'purchase_frequency', 'shares']);
  const prevComplete = prevFrom >= hot;
  if (range.from < hot) warnings.push(hotWindowWarning(hot));
  else if (prev && !prevComplete) {
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    warnings.push(
      `the period before starts on ${prev.label[0]}, before the hot window (raw events are in D1 from ${day(hot)} on, retention_days.hot): ` +
        'KPIs counted from raw events (goals, conversions, revenue, impressions, shares) have no previous value; visit KPIs do',
    );
  }
  let money: Record<'revenue' | 'average_order_value', Period | null> = { revenue: null, average_order_value: null };
  if (site.currency) {
    const r = sumRevenue(revenueRows!.results as RevenueRow[], 1, site);
    const grp = (cur: number) => r.groups.get(JSON.stringify([cur]));
    money = { revenue: of((x) => totalOf(grp(x === 'cur' ? 1 : 0), r.currency)), average_order_value: of((x) => averageOf(grp(x === 'cur' ? 1 : 0), r.currency)) };
    warnings.push(...r.warnings);
  } else if (revenueRows!.results.length) warnings.push('revenue is not reported: the site has no "currency" in its configuration');
  const orders = of((x) => revenueRows!.results.filter((r) => Number(r.d0) === (x === 'cur' ? 1 : 0)).reduce((s, r) => s + Number(r.orders), 0));
  const buyersOf = of((x) => Number(revenueAll!.results.find((r) => r.d1 === null && Number(r.d0) === (x === 'cur' ? 1 : 0))?.buyers ?? 0));
  const fresh = { conv: pick(g, 'new', 'a'), first: pick(g, 'new', 'b') };
  const conversions = n.stage('conversion');

  const values: Record<string, Period | null> = {
    visitors: n.visitors,
    new_visitors: n.fresh,
    campaign_visits: n.campaign,
    impressions: n.impressions,
    impression_ctr: of((x) => pct(n.clicked[x], n.impressions[x])),
    visit_duration: of((x) => (n.visits[x] ? Math.round(n.duration[x] / n.visits[x] / 1000) : 0)),
    bounce_rate: of((x) => (n.visits[x] ? Math.round((100 * n.bounces[x]) / n.visits[x]) : 0)),
    events_per_visit: of((x) => ratio(n.actions[x], n.visits[x])),
    soft_conversions: n.stage('consideration'),
    conversions,
    conversion_rate: of((x) => pct(conversions[x], n.visitors[x])),
    ...money,
    new_customer_rate: of((x) => pct(fresh.first[x], fresh.conv[x])),
    returning_visitor_rate: of((x) => pct(n.returning[x], n.visitors[x])),
    visits_per_customer: of((x) => ratio(n.registeredVisits[x], n.registered[x])),
    retention_rate: of((x) => pct(n.retained[x], n.fresh[x])),
    purchase_frequency: of((x) => ratio(orders[x], buyersOf[x])),
    shares: n.shares,
    referred_visits: n.referred,
  };
  const kpi = (k: Pick<Kpi, 'id' | 'label' | 'unit'>, val: Period | null, extra: object = {}) => ({
    id: k.id,
    label: k.label,
    unit: k.unit,
    value: val ? val.cur : null,
    previous: prev && val && (prevComplete || !(fromEvents.has(k.id) || k.id.startsWith('goal:'))) ? val.prev : null,
    ...(site.targets[k.id] !== undefined && { target: site.targets[k.id] }),
    ...extra,
  });
  const campaigns = v
    .filter((r) => r.k === 'campaign' && Number(r.cur) === 1)
    .sort((a, b) => Number(b.a) - Number(a.a) || String(a.key).localeCompare(String(b.key)))
    .slice(0, 10)
    .map((r) => ({ key: r.key, value: Number(r.a), previous: prev ? pick(v, 'campaign', 'a', r.key as string).prev : null }));
  const stages = STAGES.map((stage) => ({
    stage,
    kpis: [
      ...KPIS.filter((k) => k.stage === stage).map((k) => kpi(k, values[k.id] ?? null, k.id === 'campaign_visits' ? { breakdown: campaigns } : {})),
      ...goals.flatMap((x, i) => (x.stage === stage ? [kpi({ id: goalKpiId(x.id), label: site.goals.find((y) => y.id === x.id)!.name, unit: 'count' }, pick(g, 'goal', 'a', i))] : [])),
    ],
  }));
  const up = upgrades!.results[0] ?? {};
  return {
    stages,
    identity: { unknown: n.unknown.cur, anonymous: n.anonymous.cur, registered: n.registered.cur, upgraded: Number(up.cur ?? 0) },
    meta: {
      date_range: range.label,
      previous_range: prev?.label ?? null,
      time_zone: site.timezone,
      ...(site.currency && { currency: site.currency }),
      ...(warnings.length && { warnings }),
    },
  };
}

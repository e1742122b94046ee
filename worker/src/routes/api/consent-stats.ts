import { Hono } from 'hono';
import { authorize } from '../../auth/api-key';
import { getSite } from '../../config/sites';
import type { AppEnv } from '../../env';
import { apiError } from '../../http/errors';
import { firstIssue } from '../../../../shared/schema';
import { dateRangeSchema, RANGES } from '../../query/schema';
import { DATE_BOUNDS, resolveRange } from '../../query/time';
import { catchUpVisits } from '../../storage/visits';

/**
 * `?date_range=` as a named range or `from,to`, checked by the same schema as the POST bodies, so a date is a
 * 400 naming `date_range.0` or `date_range.1` here too.
 */
function dateRangeParam(raw: string): string | [string, string] {
  const parts = raw.split(',');
  const parsed = dateRangeSchema.safeParse(parts.length === 2 ? parts : raw);
  if (parsed.success) return parsed.data;
  const e = firstIssue(parsed.error, 'date_range');
  const message = e.field === 'date_range' ? `date_range must be one of: ${RANGES.join(', ')}, or YYYY-MM-DD,YYYY-MM-DD` : e.message;
  throw apiError(400, e.code, message, e.field);
}

/** The UTC day of an instant (how ingest_counts are keyed), clamped so that "all" stays a 4-digit-year day. */
const utcDay = (ms: number) => new Date(Math.min(Math.max(ms, 0), Date.parse(`${DATE_BOUNDS[1]}T00:00:00Z`))).toISOString().slice(0, 10);

/**
 * GET /api/v1/consent?site_id=&date_range=7d|YYYY-MM-DD,YYYY-MM-DD — the consent situation: decisions
 * by day and by method (banner accept / reject / partial, preferences, api, gpc), the grant rate per
 * category (over decisions, and over the current state per consent id), the share of page views that
 * arrived cookieless, and the events the collector dropped for missing consent (server-side events' drops also by reason).
 */
export const consentStatsRoute = new Hono<AppEnv>().get('/api/v1/consent', async function consentStats(c) {
  const siteId = await authorize(c, c.req.query('site_id'));
  const site = getSite(siteId)!;
  const now = Date.now();
  const range = resolveRange(dateRangeParam(c.req.query('date_range') ?? '30d'), site.timezone, now);
  const off = range.offset;
  const cats = site.categories.map((x) => x.id);
  const db = c.env.DB;
  await catchUpVisits(db);
  const inRange = 'site_id = ?1 AND ts >= ?2 AND ts < ?3';
  const kind = `CASE WHEN method = 'banner' AND denied = '[]' THEN 'banner_accept' WHEN method = 'banner' AND granted = '[]' THEN 'banner_reject'
    WHEN method = 'banner' THEN 'banner_partial' ELSE method END`;
  // The categories are one JSON parameter (?4): D1 binds at most 100 parameters a statement, and a site may name many.
  const grants = (table: string) =>
    `SELECT count(*) AS decisions, ${cats.map((_, i) => `sum(EXISTS (SELECT 1 FROM json_each(${table}.granted) WHERE value = json_extract(?4, '$[${i}]'))) AS g${i}`).join(', ')} FROM ${table}`;
  const [byDay, byMethod, all, latest, views, dropped] = await db.batch<Record<string, number | string>>([
    db.prepare(`SELECT strftime('%Y-%m-%d', (ts + ${off}) / 1000, 'unixepoch') AS day, ${kind} AS kind, count(*) AS n FROM consent_receipts WHERE ${inRange} GROUP BY day, kind ORDER BY day`).bind(siteId, range.from, range.to),
    db.prepare(`SELECT ${kind} AS kind, count(*) AS n FROM consent_receipts WHERE ${inRange} GROUP BY kind`).bind(siteId, range.from, range.to),
    db.prepare(`WITH r AS (SELECT granted FROM consent_receipts WHERE ${inRange}) ${grants('r')}`).bind(siteId, range.from, range.to, JSON.stringify(cats)),
    db
      .prepare(
        `WITH r AS (SELECT granted FROM consent_receipts x WHERE ${inRange}
           AND NOT EXISTS (SELECT 1 FROM consent_receipts n WHERE n.site_id = x.site_id AND n.consent_id = x.consent_id AND (n.ts > x.ts OR (n.ts = x.ts AND n.receipt_id > x.receipt_id))))
         ${grants('r')}`,
      )
      .bind(siteId, range.from, range.to, JSON.stringify(cats)),
    // From the visit rollup (its full retention; bots left out, as in the stats' pageviews): a visit without anonymous and user
    // id is cookieless, the identity spectrum's "unknown" (journey.ts).
    db
      .prepare(
        `SELECT sum(pageviews) AS pageviews, sum(CASE WHEN anon_id IS NULL AND user_id IS NULL THEN pageviews END) AS cookieless
         FROM visits WHERE site_id = ?1 AND start_ts >= ?2 AND start_ts < ?3`,
      )
      .bind(siteId, range.from, range.to),
    db
      .prepare(`SELECT name, sum(n) AS n FROM ingest_counts WHERE site_id = ?1 AND day >= ?2 AND day <= ?3 AND (name LIKE 'dropped_consent_%' OR name LIKE 'server_dropped_%') GROUP BY name`)
      .bind(siteId, utcDay(range.from), utcDay(range.to - 1)),
  ]);
  const rates = (r: Record<string, number | string> | undefined) => {
    const n = Number(r?.decisions ?? 0);
    return { decisions: n, grant_rate: Object.fromEntries(cats.map((cat, i) => [cat, n ? Math.round((10_000 * Number(r?.[`g${i}`] ?? 0)) / n) / 100 : 0])) };
  };
  const days = new Map<string, Record<string, number>>();
  for (const r of byDay!.results) {
    const d = days.get(r.day as string) ?? { decisions: 0 };
    d[r.kind as string] = Number(r.n);
    d.decisions = (d.decisions ?? 0) + Number(r.n);
    days.set(r.day as string, d);
  }
  const v = views!.results[0] ?? {};
  const pv = Number(v.pageviews ?? 0);
  return c.json({
    site_id: siteId,
    date_range: range.label,
    decisions: rates(all!.results[0]).decisions,
    by_method: Object.fromEntries(byMethod!.results.map((r) => [r.kind, Number(r.n)])),
    grant_rate: rates(all!.results[0]).grant_rate,
    current_state: rates(latest!.results[0]),
    by_day: [...days].map(([day, d]) => ({ day, ...d })),
    pageviews: { total: pv, cookieless: Number(v.cookieless ?? 0), cookieless_share: pv ? Math.round((10_000 * Number(v.cookieless ?? 0)) / pv) / 100 : 0 },
    dropped_for_consent: Object.fromEntries(dropped!.results.filter((r) => String(r.name).startsWith('dropped_consent_')).map((r) => [String(r.name).replace('dropped_consent_', ''), Number(r.n)])),
    // Server-side events (/segment/v1/*) not stored, by reason: no_consent, denied, stale_policy, expired, erased, bot.
    server_dropped: Object.fromEntries(dropped!.results.filter((r) => String(r.name).startsWith('server_dropped_')).map((r) => [String(r.name).replace('server_dropped_', ''), Number(r.n)])),
  });
});

import { env, SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { hotCutoff, markDropped } from '../src/storage/hot-window';
import { insertRows } from './helpers';

/**
 * Known answers for POST /api/v1/journey (site demo: UTC, EUR, USD 0.92 / GBP 1.17, goals and targets of config/sites.json).
 * Days count back from today, inside the hot window. The range R is days 13…7 ago, the previous period P days 20…14 ago.
 *
 * R:
 * - A (anonymous ja-a): visit A1 day 12, from search: / (impression of newsletter-box, then a click labelled newsletter-box),
 *   /demo/pricing, a scroll — 90 s · visit A2 day 10 from the newsletter campaign (utm): /demo/app/, purchase 19.99 EUR — 120 s
 * - B (ja-b): visit B1 day 11 from social: / with an impression of newsletter-box (no click) and a share — 30 s
 * - C (user ja-user-c on two devices; first seen in P): visit C1 day 9 on device 2: product page, signup, log-in form, purchase 10 USD — 180 s
 * - D (ja-d, linked to ja-user-d on day 8, in R): visit D1 day 8: /demo/signup, signup, purchases 5 GBP and 1000 JPY (no rate) — 180 s;
 *   visit D2 day 7: /demo/app/account, an engagement ping — 40 s
 * - E (cookieless): visit E1 day 10 from a referral — 0 s
 * P:
 * - C: visit C0 day 16 on device 1 (linked on day 16): /, signup — 300 s
 * - F (ja-f): visit F1 day 18: /demo/pricing, purchase 50 EUR — 60 s
 */
const DAY = 86_400_000;
const today = Math.floor(Date.now() / DAY) * DAY;
const at = (daysAgo: number, hms: string) => today - daysAgo * DAY + Date.parse(`1970-01-01T${hms}Z`);
const date = (daysAgo: number) => new Date(today - daysAgo * DAY).toISOString().slice(0, 10);
const R = [date(13), date(7)];

let n = 0;
type Ev = { name: string; at: number; path?: string; props?: object; revenue?: number; currency?: string; medium?: string; utm?: boolean };
function visit(who: { anon?: string; hash?: string }, session: string, evs: Ev[]) {
  return evs.map((e, i) => ({
    site_id: 'demo', id: `ja-${n++}`, name: e.name, category: 'analytics', ts: e.at, received_at: e.at,
    url: `https://shop.example${e.path ?? '/'}${e.utm ? '?utm_source=newsletter&utm_medium=email&utm_campaign=nov' : ''}`, path: e.path ?? '/',
    consent: 'analytics', anon_id: who.anon ?? null, session_id: who.anon ? session : null, visitor_hash: who.hash ?? null, cookieless: who.hash ? 1 : 0,
    pageview_id: who.anon ? `${session}-pv` : null, props: e.props ? JSON.stringify(e.props) : null,
    medium: i === 0 ? (e.medium ?? 'direct') : null, utm_source: e.utm ? 'newsletter' : null, utm_medium: e.utm ? 'email' : null, utm_campaign: e.utm ? 'nov' : null,
    source: e.utm ? 'newsletter' : null, revenue: e.revenue ?? null, currency: e.currency ?? null,
  }));
}
const rows = [
  ...visit({ anon: 'ja-a' }, 'ja-a1', [
    { name: 'pageview', at: at(12, '10:00:00'), medium: 'search' },
    { name: 'impression', at: at(12, '10:00:10'), props: { view: 'newsletter-box' } },
    { name: 'click', at: at(12, '10:00:20'), props: { tag: 'button', label: 'newsletter-box' } },
    { name: 'pageview', at: at(12, '10:01:00'), path: '/demo/pricing' },
    { name: 'scroll', at: at(12, '10:01:30'), path: '/demo/pricing', props: { depth: 50 } },
  ]),
  ...visit({ anon: 'ja-a' }, 'ja-a2', [
    { name: 'pageview', at: at(10, '09:00:00'), path: '/demo/app/', utm: true, medium: 'email' },
    { name: 'purchase', at: at(10, '09:02:00'), path: '/demo/app/', revenue: 1999, currency: 'EUR' },
  ]),
  ...visit({ anon: 'ja-b' }, 'ja-b1', [
    { name: 'pageview', at: at(11, '11:00:00'), medium: 'social' },
    { name: 'impression', at: at(11, '11:00:05'), props: { view: 'newsletter-box' } },
    { name: 'share', at: at(11, '11:00:30'), props: { method: 'native' } },
  ]),
  ...visit({ anon: 'ja-c2' }, 'ja-c1', [
    { name: 'pageview', at: at(9, '15:00:00'), path: '/demo/app/products/42' },
    { name: 'signup', at: at(9, '15:01:00') },
    { name: 'form_submit', at: at(9, '15:02:00'), props: { form: 'login' } },
    { name: 'purchase', at: at(9, '15:03:00'), revenue: 1000, currency: 'USD' },
  ]),
  ...visit({ anon: 'ja-d' }, 'ja-d1', [
    { name: 'pageview', at: at(8, '12:00:00'), path: '/demo/signup' },
    { name: 'signup', at: at(8, '12:01:00') },
    { name: 'purchase', at: at(8, '12:02:00'), revenue: 500, currency: 'GBP' },
    { name: 'purchase', at: at(8, '12:03:00'), revenue: 1000, currency: 'JPY' },
  ]),
  ...visit({ anon: 'ja-d' }, 'ja-d2', [
    { name: 'pageview', at: at(7, '09:00:00'), path: '/demo/app/account' },
    { name: 'engagement', at: at(7, '09:00:40'), path: '/demo/app/account' },
  ]),
  ...visit({ hash: 'ja-hash-e' }, '', [{ name: 'pageview', at: at(10, '13:00:00'), medium: 'referral' }]),
  ...visit({ anon: 'ja-c1' }, 'ja-c0', [
    { name: 'pageview', at: at(16, '10:00:00') },
    { name: 'signup', at: at(16, '10:05:00') },
  ]),
  ...visit({ anon: 'ja-f' }, 'ja-f1', [
    { name: 'pageview', at: at(18, '14:00:00'), path: '/demo/pricing' },
    { name: 'purchase', at: at(18, '14:01:00'), path: '/demo/pricing', revenue: 5000, currency: 'EUR' },
  ]),
];

beforeAll(async () => {
  const link = (anon: string, user: string, ts: number) =>
    env.DB.prepare("INSERT INTO identity_links (site_id, anon_id, user_id, linked_at, verified, method) VALUES ('demo', ?1, ?2, ?3, 1, 'identify')").bind(anon, user, ts);
  await env.DB.batch([
    link('ja-c1', 'ja-user-c', at(16, '10:04:00')),
    link('ja-c2', 'ja-user-c', at(9, '15:01:30')),
    link('ja-d', 'ja-user-d', at(8, '12:00:30')),
    ...insertRows(rows),
  ]);
});

async function call(path: string, body: Record<string, unknown>, key = 'dev-admin-key') {
  const res = await SELF.fetch(`http://collector.test${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ site_id: 'demo', ...body }) });
  return { status: res.status, body: (await res.json()) as any };
}
const journey = (body: Record<string, unknown> = {}) => call('/api/v1/journey', { date_range: R, ...body });

describe('POST /api/v1/journey (known answers)', () => {
  it('every KPI of every stage, with the previous period and the targets set', async () => {
    const r = await journey();
    expect(r.status).toBe(200);
    expect(r.body.stages.map((s: any) => s.stage)).toEqual(['attraction', 'consideration', 'conversion', 'loyalty', 'advocacy']);
    const table = Object.fromEntries(r.body.stages.flatMap((s: any) => s.kpis.map((k: any) => [k.id, [s.stage, k.value, k.previous, k.target]])));
    expect(table).toEqual({
      // attraction
      visitors: ['attraction', 5, 2, 2000],
      new_visitors: ['attraction', 4, 2, undefined],
      campaign_visits: ['attraction', 1, 0, undefined],
      impressions: ['attraction', 2, 0, undefined],
      impression_ctr: ['attraction', 50, 0, undefined],
      'goal:newsletter_seen': ['attraction', 2, 0, undefined],
      // consideration: durations 90+120+30+180+180+40+0 s over 7 visits; 6 of 7 bounced; 12 micro-actions
      visit_duration: ['consideration', 91, 180, undefined],
      bounce_rate: ['consideration', 86, 100, undefined],
      events_per_visit: ['consideration', 1.71, 1, undefined],
      soft_conversions: ['consideration', 2, 1, undefined],
      'goal:pricing': ['consideration', 1, 1, undefined],
      'goal:brochure': ['consideration', 0, 0, undefined],
      'goal:product': ['consideration', 1, 0, undefined],
      // conversion: A, C, D converted (C already in P); 19.99 EUR + 10 USD × 0.92 + 5 GBP × 1.17 = 35.04 EUR over 3 orders
      conversions: ['conversion', 3, 2, undefined],
      conversion_rate: ['conversion', 60, 100, 5],
      revenue: ['conversion', 35.04, 50, 5000],
      average_order_value: ['conversion', 11.68, 50, undefined],
      new_customer_rate: ['conversion', 66.67, 100, undefined],
      'goal:signup': ['conversion', 2, 1, 150],
      'goal:purchase': ['conversion', 3, 1, undefined],
      // loyalty: A, C and D came back; C and D are registered (3 visits); A and D (of 4 new) returned on a later day; 4 orders by 3 buyers
      returning_visitor_rate: ['loyalty', 60, 0, undefined],
      visits_per_customer: ['loyalty', 1.5, 1, undefined],
      retention_rate: ['loyalty', 50, 0, 20],
      purchase_frequency: ['loyalty', 1.33, 1, undefined],
      'goal:login': ['loyalty', 1, 0, undefined],
      // advocacy: B shared; B (social) and E (referral) were referred
      shares: ['advocacy', 1, 0, undefined],
      referred_visits: ['advocacy', 2, 0, undefined],
      'goal:share': ['advocacy', 1, 0, undefined],
    });
    const campaign = r.body.stages[0].kpis.find((k: any) => k.id === 'campaign_visits');
    expect(campaign).toMatchObject({ label: 'Visits from campaigns', unit: 'count', breakdown: [{ key: 'newsletter', value: 1, previous: 0 }] });
    expect(r.body.stages[2].kpis.find((k: any) => k.id === 'goal:signup')).toMatchObject({ label: 'Sign-up', unit: 'count' });
  });

  it('the identity spectrum: cookieless, anonymous, registered visitors and the users whose first login fell in the range', async () => {
    expect((await journey()).body.identity).toEqual({ unknown: 1, anonymous: 2, registered: 2, upgraded: 1 });
    // The period before: C logged in for the first time then (F stayed anonymous).
    expect((await journey({ date_range: [date(20), date(14)] })).body.identity).toEqual({ unknown: 0, anonymous: 1, registered: 1, upgraded: 1 });
  });

  it('meta: the ranges, the currency, and a warning for revenue it could not convert', async () => {
    const { meta } = (await journey()).body;
    expect(meta).toMatchObject({ date_range: R, previous_range: [date(20), date(14)], time_zone: 'UTC', currency: 'EUR' });
    expect(meta.warnings).toEqual([expect.stringMatching(/^revenue in JPY \(1 event\) is left out/)]);
  });

  it('raw events are kept 35 days (the hot window): a range before it is flagged; a period before it has no previous event KPIs', async () => {
    // What the hourly retention records once it has moved raw events older than the window out of D1 (archive-hot.test.ts).
    await markDropped(env.DB, 'demo', hotCutoff(35, Date.now())).run();
    const { meta } = (await journey({ date_range: [date(40), date(30)] })).body;
    expect(meta.warnings).toEqual([expect.stringMatching(/^raw events before \d{4}-\d{2}-\d{2} are no longer in D1/)]);
    // 13…7 days ago once more, but over 20 days: the period before starts 40 days ago.
    const r = await journey({ date_range: [date(26), date(7)] });
    expect(r.body.meta.warnings).toEqual([expect.stringMatching(/^the period before starts on .*, before the hot window/), expect.stringMatching(/^revenue in JPY/)]);
    const prev = Object.fromEntries(r.body.stages.flatMap((s: any) => s.kpis.map((k: any) => [k.id, k.previous])));
    expect(prev).toMatchObject({ visitors: 0, new_visitors: 0, bounce_rate: 0, conversions: null, revenue: null, shares: null, impressions: null, 'goal:signup': null });
  });

  it('agrees with the query API on the same range', async () => {
    const q = await call('/api/v1/query', { date_range: R, metrics: ['visitors', 'visits', 'bounce_rate', 'visit_duration', 'total_revenue'] });
    expect(q.body.results[0].metrics).toEqual([5, 7, 86, 91, 35.04]);
    const goals = await call('/api/v1/query', { date_range: R, metrics: ['visitors'], dimensions: ['event:goal'], filters: [['is', 'event:goal', ['signup', 'purchase']]] });
    expect(goals.body.results).toEqual([
      { dimensions: ['purchase'], metrics: [3] },
      { dimensions: ['signup'], metrics: [2] },
    ]);
  });

  it('"all" has no previous period', async () => {
    const r = await journey({ date_range: 'all' });
    expect(r.status).toBe(200);
    expect(r.body.meta.previous_range).toBeNull();
    expect(r.body.stages[0].kpis[0]).toMatchObject({ id: 'visitors', value: 6, previous: null });
  });

  it('OpenAPI describes both endpoints', async () => {
    const doc = (await (await SELF.fetch('http://collector.test/api/openapi.json')).json()) as any;
    expect(doc.paths['/api/v1/journey'].post.requestBody.content['application/json'].schema.required).toEqual(['site_id', 'date_range']);
    expect(doc.paths['/api/v1/retention'].post.requestBody.content['application/json'].schema.properties.period.enum).toEqual(['day', 'week', 'month']);
    expect(doc.paths['/api/v1/query'].post.requestBody.content['application/json'].schema.properties.metrics.items.enum).toContain('total_revenue');
  });

  it('bad input is a 400 naming the field; a key is needed', async () => {
    expect((await journey({ date_range: 'fortnight' })).body.error).toMatchObject({ field: 'date_range' });
    expect((await journey({ date_range: ['2026-01-02', '2026-01-01'] })).body.error).toMatchObject({ field: 'date_range.1' });
    expect((await journey({ period: 'week' })).status).toBe(400);
    expect((await call('/api/v1/journey', { site_id: 'Bad Site', date_range: R })).body.error).toMatchObject({ field: 'site_id' });
    expect((await call('/api/v1/journey', { date_range: R }, 'wrong')).status).toBe(401);
  });
});

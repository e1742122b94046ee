import { env, SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { insertRows } from './helpers';

/**
 * Validated input must never reach SQL or `Date` in a shape they cannot take: every body the schemas accept answers
 * 200, everything else a 400 naming the field. Fixture on 2026-03-03 (UTC, site demo), apart from the other files' days:
 * - b1 (DE, desktop): pageview /p1, pageview /p2, signup {plan: "pro", seats: 3, annual: true}
 * - b2 (DE, mobile): pageview /p2, signup {plan: "free"}
 * - b3 (FR, desktop): pageview /p1
 * - b4 (DE, desktop): pageview /p3
 * - b5 (AT, desktop): pageview on a path with a quote, a backslash, an umlaut and an emoji
 * and 2 events dropped for consent that day (ingest_counts).
 */
const AT = (hm: string) => Date.parse(`2026-03-03T${hm}:00Z`);
const DAY = ['2026-03-03', '2026-03-03'];
let n = 0;
function ev(anon: string, country: string, device: string, name: string, path: string, at: string, props?: object) {
  return {
    site_id: 'demo', id: `qb-${n++}`, name, category: 'analytics', ts: AT(at), received_at: AT(at), url: `https://shop.example${path}`, path,
    consent: '["analytics"]', anon_id: anon, session_id: `qb-s-${anon}`, pageview_id: `qb-pv-${n}`, source: 'direct', country, device,
    browser: 'Chrome', props: props ? JSON.stringify(props) : null,
  };
}
const rows = [
  ev('qb-b1', 'DE', 'desktop', 'pageview', '/p1', '10:00'),
  ev('qb-b1', 'DE', 'desktop', 'pageview', '/p2', '10:01'),
  ev('qb-b1', 'DE', 'desktop', 'signup', '/p2', '10:02', { plan: 'pro', seats: 3, annual: true }),
  ev('qb-b2', 'DE', 'mobile', 'pageview', '/p2', '11:00'),
  ev('qb-b2', 'DE', 'mobile', 'signup', '/p2', '11:01', { plan: 'free' }),
  ev('qb-b3', 'FR', 'desktop', 'pageview', '/p1', '12:00'),
  ev('qb-b4', 'DE', 'desktop', 'pageview', '/p3', '13:00'),
  ev('qb-b5', 'AT', 'desktop', 'pageview', '/q"uo\\te/ü?\u{1F600}', '14:00'),
];

beforeAll(async () => {
  await env.DB.batch([
    ...insertRows(rows),
    env.DB.prepare("INSERT INTO ingest_counts (site_id, message_id, name, day, n) VALUES ('demo', 'qb-m1', 'dropped_consent_qbtest', '2026-03-03', 2)"),
  ]);
});

const auth = { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' };
async function post(path: string, body: Record<string, unknown>) {
  const res = await SELF.fetch(`http://collector.test${path}`, { method: 'POST', headers: auth, body: JSON.stringify({ site_id: 'demo', date_range: DAY, ...body }) });
  return { status: res.status, body: (await res.json()) as any };
}
const query = (body: Record<string, unknown>) => post('/api/v1/query', { metrics: ['visitors'], ...body });
const funnel = (body: Record<string, unknown>) => post('/api/v1/funnel', { steps: [{ event: 'pageview' }, { event: 'signup' }], ...body });
async function consent(range: string) {
  const res = await SELF.fetch(`http://collector.test/api/v1/consent?site_id=demo&date_range=${encodeURIComponent(range)}`, { headers: auth });
  return { status: res.status, body: (await res.json()) as any };
}
/** `count` values that match nothing, plus `real`. */
const values = (count: number, ...real: string[]) => [...real, ...Array.from({ length: count - real.length }, (_, i) => `/none-${i}`)];

describe('date ranges: only real calendar dates the SQL and Date can take', () => {
  const cases: [unknown, string][] = [
    [['2026-01-01', '9999-12-31'], 'date_range.1'],
    [['2026-13-45', '2026-12-31'], 'date_range.0'],
    [['2026-02-30', '2026-03-01'], 'date_range.0'],
    [['2026-01-01', '2026-04-31'], 'date_range.1'],
    [['2025-02-29', '2025-03-01'], 'date_range.0'],
    [['1969-12-31', '2026-01-01'], 'date_range.0'],
    [['0000-01-01', '2026-01-01'], 'date_range.0'],
    [['2026-03-02', '2026-03-01'], 'date_range.1'],
  ];

  it('POST /api/v1/query: 400 naming the date', async () => {
    for (const [range, field] of cases) {
      const r = await query({ date_range: range });
      expect(r.status, JSON.stringify(range)).toBe(400);
      expect(r.body.error, JSON.stringify(range)).toMatchObject({ code: 'invalid_field', field });
      expect(r.body.error.message).toMatch(/2000-01-01|calendar|before/);
    }
    expect((await query({ date_range: ['2026-01-01', '9999-12-31'] })).body.error.message).toBe('dates are between 2000-01-01 and 2999-12-31');
    expect((await query({ date_range: ['2026-13-45', '2026-12-31'] })).body.error.message).toBe('2026-13-45 is not a calendar date');
  });

  it('POST /api/v1/funnel: 400 naming the date', async () => {
    for (const [range, field] of cases) {
      const r = await funnel({ date_range: range });
      expect(r.status, JSON.stringify(range)).toBe(400);
      expect(r.body.error, JSON.stringify(range)).toMatchObject({ code: 'invalid_field', field });
    }
  });

  it('GET /api/v1/consent: 400 naming the date', async () => {
    for (const [range, field] of cases) {
      const r = await consent((range as string[]).join(','));
      expect(r.status, JSON.stringify(range)).toBe(400);
      expect(r.body.error, JSON.stringify(range)).toMatchObject({ code: 'invalid_field', field });
    }
  });

  it('the widest legal range and a leap day work everywhere', async () => {
    const widest = ['2000-01-01', '2999-12-31'];
    const q = await query({ date_range: widest });
    expect(q.status).toBe(200);
    expect(q.body.meta.date_range).toEqual(widest);
    expect(q.body.results[0].metrics[0]).toBeGreaterThanOrEqual(4);
    expect((await funnel({ date_range: widest, window: '9999d' })).status).toBe(200);
    expect((await funnel({ date_range: 'all', window: '9999d' })).status).toBe(200);
    expect((await consent(widest.join(','))).status).toBe(200);
    // "all" reaches the consent drops of every day; a day's range only that day's (its end is exclusive).
    expect((await consent('all')).body.dropped_for_consent.qbtest).toBe(2);
    expect((await consent('2026-03-03,2026-03-03')).body.dropped_for_consent.qbtest).toBe(2);
    expect((await consent('2026-03-02,2026-03-02')).body.dropped_for_consent.qbtest).toBeUndefined();
    expect((await query({ date_range: ['2024-02-29', '2024-02-29'] })).status).toBe(200);
  });
});

describe('lists: as long as the schema allows, whatever the SQL binds', () => {
  it('two "is" filters of 49 values each answer correct results (event plan)', async () => {
    const r = await query({
      metrics: ['visitors', 'pageviews'],
      dimensions: ['event:page'],
      filters: [['is', 'event:page', values(49, '/p1', '/p2')], ['is', 'visit:country', values(49, 'DE')]],
    });
    expect(r.status).toBe(200);
    expect(r.body.results).toEqual([
      { dimensions: ['/p2'], metrics: [2, 2] },
      { dimensions: ['/p1'], metrics: [1, 1] },
    ]);
  });

  it('every filter at its largest: visit, page and event plans, is / is_not / contains', async () => {
    const noise = (op: string, dim: string) => [op, dim, values(50)];
    // Visit plan: 20 filters of 50 values on visit attributes.
    const visit = await query({
      filters: [['is', 'visit:country', values(50, 'DE')], ['is_not', 'visit:device', values(50, 'mobile')], ...Array.from({ length: 18 }, () => noise('is_not', 'visit:browser'))],
    });
    expect(visit.status).toBe(200);
    expect(visit.body.results).toEqual([{ dimensions: [], metrics: [2] }]);
    // Page plan: page views by page.
    const pages = await query({
      metrics: ['pageviews'],
      dimensions: ['event:page'],
      filters: [['is', 'event:name', ['pageview']], ['is', 'event:page', values(50, '/p1', '/p2')], ...Array.from({ length: 18 }, () => noise('is_not', 'event:page'))],
    });
    expect(pages.status).toBe(200);
    expect(pages.body.results).toEqual([
      { dimensions: ['/p1'], metrics: [2] },
      { dimensions: ['/p2'], metrics: [2] },
    ]);
    // Event plan with contains and conversion rate (a second statement with the same lists).
    const events = await query({
      metrics: ['visitors', 'conversion_rate'],
      filters: [['is', 'event:name', values(50, 'signup')], ['contains', 'event:page', values(50, 'P')], ...Array.from({ length: 18 }, () => noise('is_not', 'visit:os'))],
    });
    expect(events.status).toBe(200);
    expect(events.body.results).toEqual([{ dimensions: [], metrics: [2, 50] }]);
  });

  it('values travel as JSON and come back exactly: quotes, backslashes, non-ASCII, lone surrogates', async () => {
    const odd = '/q"uo\\te/ü?\u{1F600}';
    const is = await query({ filters: [['is', 'event:page', [odd, '\ud800', "'; DROP TABLE events; --"]]] });
    expect(is).toMatchObject({ status: 200, body: { results: [{ metrics: [1] }] } });
    const contains = await query({ filters: [['contains', 'event:page', ['"UO\\', '\udfff']]] });
    expect(contains).toMatchObject({ status: 200, body: { results: [{ metrics: [1] }] } });
    const not = await query({ filters: [['is_not', 'event:page', [odd]], ['is', 'visit:country', ['AT']]] });
    expect(not).toMatchObject({ status: 200, body: { results: [{ metrics: [0] }] } });
  });

  it('past the documented limits: 400 naming the list', async () => {
    const tooMany = await query({ filters: [['is', 'event:page', ['/p1']], ['is', 'visit:country', values(51)]] });
    expect(tooMany).toMatchObject({ status: 400, body: { error: { code: 'invalid_field', field: 'filters.1.2' } } });
    expect(tooMany.body.error.message).toMatch(/50/);
    const empty = await query({ filters: [['is', 'event:page', []]] });
    expect(empty).toMatchObject({ status: 400, body: { error: { field: 'filters.0.2' } } });
    const filters = await query({ filters: Array.from({ length: 21 }, () => ['is', 'event:page', ['/']]) });
    expect(filters).toMatchObject({ status: 400, body: { error: { field: 'filters' } } });
    expect(filters.body.error.message).toMatch(/20/);
  });

  it('funnels: props as one JSON value, 6 and 8 steps; more props than an event carries is a 400', async () => {
    const r = await funnel({ steps: [{ event: 'pageview', page: '/p2' }, { event: 'signup', props: { plan: 'pro', seats: 3, annual: true } }] });
    expect(r.status).toBe(200);
    expect(r.body.steps.map((s: any) => s.visitors)).toEqual([2, 1]);
    expect((await funnel({ steps: [{ event: 'pageview' }, { event: 'signup', props: { annual: false } }] })).body.steps[1].visitors).toBe(0);
    expect((await funnel({ steps: [{ event: 'pageview' }, { event: 'signup', props: { seats: '3' } }] })).body.steps[1].visitors).toBe(0);
    expect((await funnel({ steps: [{ event: 'pageview' }, { event: 'signup', props: { 'a"b.c': 'x' } }] })).status).toBe(200);

    const props = (k: number) => Object.fromEntries(Array.from({ length: k }, (_, i) => [`k${i}`, `v${i}`]));
    const widest = await funnel({ steps: Array.from({ length: 8 }, () => ({ event: 'pageview', page: '/p1', props: props(32) })) });
    expect(widest.status).toBe(200);
    expect(widest.body.steps.map((s: any) => s.visitors)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);

    // More steps than D1 takes terms in one compound SELECT (5).
    const six = await funnel({ steps: [...Array(2)].flatMap(() => [{ event: 'pageview', page: '/p1' }, { event: 'pageview', page: '/p2' }, { event: 'signup' }]) });
    expect(six.status).toBe(200);
    expect(six.body.steps.map((s: any) => s.visitors)).toEqual([2, 1, 1, 0, 0, 0]);

    const fifty = await funnel({ steps: [{ event: 'pageview', props: props(50) }, { event: 'signup' }] });
    expect(fifty).toMatchObject({ status: 400, body: { error: { code: 'invalid_field', field: 'steps.0.props' } } });
    expect(fifty.body.error.message).toMatch(/32/);
  });
});

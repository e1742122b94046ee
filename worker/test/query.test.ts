import { env, SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { insertRows, queryApi } from './helpers';

/**
 * Known-answer fixture on 2026-11-10 (site demo, UTC):
 * - A (anonymous a1, visit s1, DE, desktop, from google with utm newsletter): / 10:00, /pricing 10:01 (scrolled to 50 %), click 10:02, signup 10:03
 * - B (anonymous b1): visit s2 /pricing 11:00 (FR, mobile, direct) · visit s3 / 15:00 plus engagement 15:00:30
 * - U (user u1 via anonymous c1 and c2, DE): visit s4 / 12:00, /pricing 12:02, signup 12:04 · visit s5 /pricing 13:00
 */
const T = (hm: string) => Date.parse(`2026-11-10T${hm}:00Z`);
let n = 0;
function ev(o: { anon: string; visit: string; name: string; path?: string; at: string; country: string; device: string; source?: string; utm?: string; pv?: string; props?: object }) {
  return {
    site_id: 'demo', id: `q-${n++}`, name: o.name, category: 'analytics', ts: T(o.at), received_at: T(o.at), url: `https://shop.example${o.path ?? '/'}`,
    path: o.path ?? '/', consent: '["analytics"]', anon_id: o.anon, session_id: o.visit, pageview_id: o.pv ?? null, source: o.source ?? 'direct',
    utm_source: o.utm ?? null, country: o.country, device: o.device, browser: 'Chrome', props: o.props ? JSON.stringify(o.props) : null,
  };
}
const A = { anon: 'qa-anon-a1', visit: 'qs1', country: 'DE', device: 'desktop' };
const B2 = { anon: 'qa-anon-b1', visit: 'qs2', country: 'FR', device: 'mobile' };
const B3 = { anon: 'qa-anon-b1', visit: 'qs3', country: 'FR', device: 'mobile' };
const C4 = { anon: 'qa-anon-c1', visit: 'qs4', country: 'DE', device: 'desktop' };
const C5 = { anon: 'qa-anon-c2', visit: 'qs5', country: 'DE', device: 'mobile' };
const rows = [
  ev({ ...A, name: 'pageview', path: '/', at: '10:00', source: 'search', utm: 'newsletter', pv: 'pa1' }),
  ev({ ...A, name: 'pageview', path: '/pricing', at: '10:01', pv: 'pa2' }),
  ev({ ...A, name: 'scroll', path: '/pricing', at: '10:01', pv: 'pa2', props: { depth: 25 } }),
  ev({ ...A, name: 'scroll', path: '/pricing', at: '10:02', pv: 'pa2', props: { depth: 50 } }),
  ev({ ...A, name: 'signup', path: '/pricing', at: '10:03', pv: 'pa2' }),
  ev({ ...B2, name: 'pageview', path: '/pricing', at: '11:00', pv: 'pb2' }),
  ev({ ...B3, name: 'pageview', path: '/', at: '15:00', pv: 'pb3' }),
  { ...ev({ ...B3, name: 'engagement', path: '/', at: '15:00', pv: 'pb3' }), ts: T('15:00') + 30_000 },
  ev({ ...C4, name: 'pageview', path: '/', at: '12:00', pv: 'pc1' }),
  ev({ ...C4, name: 'pageview', path: '/pricing', at: '12:02', pv: 'pc2' }),
  ev({ ...C4, name: 'signup', path: '/pricing', at: '12:04', pv: 'pc2' }),
  ev({ ...C5, name: 'pageview', path: '/pricing', at: '13:00', pv: 'pc3' }),
];

beforeAll(async () => {
  await env.DB.batch([
    ...insertRows(rows),
    env.DB.prepare("INSERT INTO identity_links (site_id, anon_id, user_id, linked_at, verified, method) VALUES ('demo', 'qa-anon-c1', 'qu1', 0, 1, 'identify'), ('demo', 'qa-anon-c2', 'qu1', 0, 1, 'identify')"),
  ]);
});

const query = (body: Record<string, unknown>, key = 'dev-admin-key') => queryApi(body, ['2026-11-10', '2026-11-10'], key);
const ALL = ['visitors', 'visits', 'pageviews', 'events', 'bounce_rate', 'visit_duration', 'views_per_visit', 'scroll_depth'];

describe('POST /api/v1/query (known answers)', () => {
  it('aggregate: every metric', async () => {
    const r = await query({ metrics: ALL });
    expect(r.status).toBe(200);
    // 3 visitors (A, B, the user across two devices), 5 visits, 7 page views, 12 events, 3 of 5 visits bounced,
    // durations 180+0+30+240+0 s → 90, 7/5 views per visit, scroll (50 + 0×6)/7 → 7.
    expect(r.body.results).toEqual([{ dimensions: [], metrics: [3, 5, 7, 12, 60, 90, 1.4, 7] }]);
    expect(r.body.meta).toMatchObject({ date_range: ['2026-11-10', '2026-11-10'], time_zone: 'UTC' });
  });

  it('dimensions: user:type (stitched), event:page, visit:entry_page, visit:country, visit:source, time:hour', async () => {
    expect((await query({ metrics: ['visitors', 'visits'], dimensions: ['user:type'] })).body.results).toEqual([
      { dimensions: ['anonymous'], metrics: [2, 3] },
      { dimensions: ['identified'], metrics: [1, 2] },
    ]);
    expect((await query({ metrics: ['pageviews'], dimensions: ['event:page'], filters: [['is', 'event:name', ['pageview']]] })).body.results).toEqual([
      { dimensions: ['/pricing'], metrics: [4] },
      { dimensions: ['/'], metrics: [3] },
    ]);
    expect((await query({ metrics: ['visits', 'bounce_rate'], dimensions: ['visit:entry_page'] })).body.results).toEqual([
      { dimensions: ['/'], metrics: [3, 33] },
      { dimensions: ['/pricing'], metrics: [2, 100] },
    ]);
    expect((await query({ metrics: ['visitors'], dimensions: ['visit:country'] })).body.results).toEqual([
      { dimensions: ['DE'], metrics: [2] },
      { dimensions: ['FR'], metrics: [1] },
    ]);
    expect((await query({ metrics: ['visits'], dimensions: ['visit:source', 'visit:utm_source'] })).body.results).toEqual([
      { dimensions: ['direct', null], metrics: [4] },
      { dimensions: ['search', 'newsletter'], metrics: [1] },
    ]);
    expect((await query({ metrics: ['pageviews'], dimensions: ['time:hour'] })).body.results.map((x: any) => [x.dimensions[0], x.metrics[0]])).toEqual([
      ['2026-11-10 10:00', 2],
      ['2026-11-10 11:00', 1],
      ['2026-11-10 12:00', 2],
      ['2026-11-10 13:00', 1],
      ['2026-11-10 15:00', 1],
    ]);
  });

  it('filters is / is_not / contains; visit metrics over the whole visits', async () => {
    expect((await query({ metrics: ['visitors', 'visits', 'bounce_rate'], filters: [['is_not', 'visit:country', ['DE']]] })).body.results[0].metrics).toEqual([1, 2, 100]);
    expect((await query({ metrics: ['pageviews'], filters: [['contains', 'event:page', ['PRIC']], ['is', 'event:name', ['pageview']]] })).body.results[0].metrics).toEqual([4]);
    // Visits that reached /pricing: their bounce rate is about the whole visit (A and C4 saw two pages).
    expect((await query({ metrics: ['visits', 'bounce_rate'], filters: [['is', 'event:page', ['/pricing']], ['is', 'event:name', ['pageview']]] })).body.results[0].metrics).toEqual([4, 50]);
    expect((await query({ metrics: ['visitors'], filters: [['is', 'visit:device', ['mobile']]] })).body.results[0].metrics).toEqual([2]);
  });

  it('conversion_rate against a goal; needs one', async () => {
    expect((await query({ metrics: ['visitors', 'conversion_rate'], filters: [['is', 'event:name', ['signup']]] })).body.results[0].metrics).toEqual([2, 66.67]);
    expect((await query({ metrics: ['conversion_rate'], dimensions: ['user:type'], filters: [['is', 'event:name', ['signup']]] })).body.results).toEqual([
      { dimensions: ['identified'], metrics: [100] },
      { dimensions: ['anonymous'], metrics: [50] },
    ]);
    expect(await query({ metrics: ['conversion_rate'] })).toMatchObject({ status: 400, body: { error: { field: 'metrics' } } });
  });

  it('order_by, limit and pagination', async () => {
    const base = { metrics: ['pageviews'], dimensions: ['event:page'], filters: [['is', 'event:name', ['pageview']]] };
    expect((await query({ ...base, order_by: [['pageviews', 'asc']] })).body.results.map((x: any) => x.dimensions[0])).toEqual(['/', '/pricing']);
    const p1 = await query({ ...base, pagination: { limit: 1, offset: 0 } });
    expect(p1.body.results).toHaveLength(1);
    expect(p1.body.meta).toMatchObject({ total_rows: 2, next_offset: 1 });
    const p2 = await query({ ...base, pagination: { limit: 1, offset: 1 } });
    expect(p2.body.results[0].dimensions).toEqual(['/']);
    expect(p2.body.meta.next_offset).toBeNull();
    expect((await query({ ...base, limit: 1 })).body.results).toHaveLength(1);
  });

  it('invalid queries are 400s naming the field and the allowed values; auth and scope', async () => {
    const bad = await query({ metrics: ['visitors', 'revenue'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('metrics.1');
    expect(bad.body.error.message).toContain('visitors, visits, pageviews');
    expect((await query({ metrics: ['visitors'], dimensions: ['visit:city'] })).body.error).toMatchObject({ field: 'dimensions.0' });
    expect((await query({ metrics: ['visitors'], date_range: 'yesterday' })).body.error).toMatchObject({ field: 'date_range' });
    expect((await query({ metrics: ['visitors'], filters: [['matches', 'event:page', ['/']]] })).body.error).toMatchObject({ field: 'filters.0.0' });
    expect((await query({ metrics: ['visitors'], order_by: [['pageviews', 'desc']] })).body.error).toMatchObject({ field: 'order_by' });
    expect((await query({ metrics: [] })).status).toBe(400);
    expect((await query({ metrics: ['visitors'], extra: 1 })).status).toBe(400);
    expect((await query({ metrics: ['visitors'] }, 'wrong')).status).toBe(401);
    const other = await query({ site_id: 'demo-cookieless', metrics: ['visitors'] });
    expect(other.status).toBe(200);
    // No traffic: an aggregate is still one row, of zeros.
    expect(other.body.results).toEqual([{ dimensions: [], metrics: [0] }]);
  });

  it('relative ranges resolve in the site time zone', async () => {
    const r = await query({ metrics: ['visitors'], date_range: '7d' });
    expect(r.status).toBe(200);
    expect(r.body.meta.date_range[1]).toBe(new Date().toISOString().slice(0, 10));
  });
});

async function funnel(body: Record<string, unknown>) {
  const res = await SELF.fetch('http://collector.test/api/v1/funnel', { method: 'POST', headers: { authorization: 'Bearer dev-admin-key' }, body: JSON.stringify({ site_id: 'demo', date_range: ['2026-11-10', '2026-11-10'], ...body }) });
  return { status: res.status, body: (await res.json()) as any };
}
const STEPS = [{ event: 'pageview', page: '/' }, { event: 'pageview', page: '/pricing' }, { event: 'signup' }];

describe('POST /api/v1/funnel', () => {
  it('ordered steps per stitched visitor (two devices of one user are one visitor)', async () => {
    const r = await funnel({ steps: STEPS });
    expect(r.status).toBe(200);
    // Step 1: A, B (at 15:00), the user; step 2: A, the user (B's /pricing came before its /); step 3: A, the user.
    expect(r.body.steps.map((s: any) => [s.visitors, s.conversion_rate, s.step_conversion_rate])).toEqual([
      [3, 100, 100],
      [2, 66.67, 66.67],
      [2, 66.67, 100],
    ]);
  });

  it('the window bounds the time from step 1 to the last step; props can be matched', async () => {
    expect((await funnel({ steps: STEPS, window: '1m' })).body.steps.map((s: any) => s.visitors)).toEqual([3, 1, 0]);
    expect((await funnel({ steps: [{ event: 'pageview' }, { event: 'scroll', props: { depth: 50 } }] })).body.steps.map((s: any) => s.visitors)).toEqual([3, 1]);
  });

  it('a visitor who converts after logging in on the same device counts once', async () => {
    const day = (hm: string) => Date.parse(`2026-11-11T${hm}:00Z`);
    const cols = 'site_id, id, name, category, ts, received_at, url, path, consent, anon_id, user_id, session_id';
    await env.DB.batch([
      env.DB.prepare(`INSERT INTO events (${cols}) VALUES ('demo', 'f-1', 'pageview', 'analytics', ?1, ?1, 'https://s/', '/', '[]', 'fa-d1', NULL, 'fs1')`).bind(day('09:00')),
      env.DB.prepare(`INSERT INTO events (${cols}) VALUES ('demo', 'f-2', 'pageview', 'analytics', ?1, ?1, 'https://s/pricing', '/pricing', '[]', 'fa-d1', NULL, 'fs1')`).bind(day('09:05')),
      // after login the event carries the user id
      env.DB.prepare(`INSERT INTO events (${cols}) VALUES ('demo', 'f-3', 'signup', 'analytics', ?1, ?1, 'https://s/pricing', '/pricing', '[]', 'fa-d1', 'fu2', 'fs1')`).bind(day('09:10')),
      env.DB.prepare("INSERT INTO identity_links (site_id, anon_id, user_id, linked_at, verified, method) VALUES ('demo', 'fa-d1', 'fu2', ?1, 1, 'identify')").bind(day('09:08')),
    ]);
    const r = await funnel({ steps: STEPS, date_range: ['2026-11-11', '2026-11-11'] });
    expect(r.body.steps.map((s: any) => s.visitors)).toEqual([1, 1, 1]);
    // Written straight to D1, behind the consumer's back (after the queries above): the stats still see them, because a
    // query first folds whatever the visit rollup has not seen.
    expect((await query({ date_range: ['2026-11-11', '2026-11-11'], metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate'] })).body.results).toEqual([
      { dimensions: [], metrics: [1, 1, 2, 0] },
    ]);
  });

  it('bad funnels are 400s naming the field', async () => {
    expect((await funnel({ steps: [{ event: 'pageview' }] })).body.error).toMatchObject({ field: 'steps' });
    expect((await funnel({ steps: STEPS, window: 'forever' })).body.error).toMatchObject({ field: 'window' });
    expect((await funnel({ steps: [{ event: 'pageview', url: '/' }, { event: 'x' }] })).status).toBe(400);
  });
});

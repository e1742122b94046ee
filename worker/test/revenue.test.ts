import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { HTTPException } from 'hono/http-exception';
import { siteCurrency } from '../src/query/revenue';
import { consentedBrowser, event, insertRows, post, queryApi, waitForRows } from './helpers';

/**
 * Revenue: exact at ingest, converted once per currency in the answers (site demo: EUR; USD 0.92, GBP 1.17; no JPY rate).
 * Known answers on one day 6 days ago (UTC):
 * - rv-a (DE): 19.99 EUR, and three purchases of 0.01 GBP (3 pence × 1.17 = 3.51 cents: 4 cents, where rounding each would give 3)
 * - rv-b (US): 10.01 USD and 5.00 USD (15.01 × 0.92 = 13.8092: 13.81 EUR)
 * - rv-c (JP): 1000 JPY — no rate: left out, and said so
 */
const DAY = 86_400_000;
const day0 = Math.floor(Date.now() / DAY) * DAY - 6 * DAY;
const DATE = new Date(day0).toISOString().slice(0, 10);
let n = 0;
const purchase = (anon: string, country: string, revenue: number, currency: string) => ({
  site_id: 'demo', id: `rv-${n++}`, name: 'purchase', custom: 1, category: 'analytics', ts: day0 + 3_600_000 + n * 1000, received_at: day0, url: 'https://s/cart',
  path: '/cart', consent: 'analytics', anon_id: anon, session_id: `${anon}-s`, country, revenue, currency,
});
const rows = [
  purchase('rv-a', 'DE', 1999, 'EUR'), purchase('rv-a', 'DE', 1, 'GBP'), purchase('rv-a', 'DE', 1, 'GBP'), purchase('rv-a', 'DE', 1, 'GBP'),
  purchase('rv-b', 'US', 1001, 'USD'), purchase('rv-b', 'US', 500, 'USD'),
  purchase('rv-c', 'JP', 1000, 'JPY'),
];

beforeAll(async () => {
  await env.DB.batch(insertRows(rows));
});

const query = (body: Record<string, unknown>) => queryApi(body, [DATE, DATE]);
const JPY_WARNING = 'revenue in JPY (1 event) is left out of the revenue figures: the site has no rate for JPY in currency_rates';

describe('revenue at ingest', () => {
  it('is stored exactly, in minor units of its own currency', async () => {
    const b = await consentedBrowser();
    const evs = [
      event({ n: 'purchase', x: 1, rv: { a: 19.99, c: 'EUR' } }),
      event({ n: 'purchase', x: 1, rv: { a: 0.1 + 0.2, c: 'EUR' } }),
      event({ n: 'purchase', x: 1, rv: { a: 1234.5, c: 'JPY' } }),
      event({ n: 'purchase', x: 1, rv: { a: 1.0005, c: 'KWD' } }),
      event({ n: 'share', p: { method: 'native' } }),
    ];
    const res = await post('/v1/e', { s: 'demo', t: b.t, a: b.a, ss: 'rv-session-1', e: evs });
    expect(res.status).toBe(202);
    const stored = await waitForRows<{ id: string; name: string; revenue: number | null; currency: string | null }>(
      'SELECT id, name, revenue, currency FROM events WHERE anon_id = ?1 ORDER BY ts, id', [b.a], evs.length,
    );
    const byId = Object.fromEntries(stored.map((r) => [r.id, [r.name, r.revenue, r.currency]]));
    expect(evs.map((e) => byId[e.i])).toEqual([
      ['purchase', 1999, 'EUR'],
      ['purchase', 30, 'EUR'],
      ['purchase', 1235, 'JPY'],
      ['purchase', 1001, 'KWD'],
      ['share', null, null],
    ]);
  });

  it('bad revenue is rejected naming the field; good neighbours are kept', async () => {
    const b = await consentedBrowser();
    const good = event({ n: 'purchase', x: 1, rv: { a: 5, c: 'EUR' } });
    const res = await post('/v1/e', {
      s: 'demo', t: b.t, a: b.a, ss: 'rv-session-2',
      e: [good, event({ n: 'purchase', x: 1, rv: { a: 5, c: 'euro' } as never }), event({ n: 'purchase', x: 1, rv: { a: -1, c: 'EUR' } }), event({ n: 'purchase', x: 1, rv: { a: 2e9, c: 'EUR' } })],
    });
    expect(res.status).toBe(202);
    expect(((await res.json()) as any).rejected.map((r: any) => r.field)).toEqual(['e.1.rv.c', 'e.2.rv.a', 'e.3.rv.a']);
    const all = await post('/v1/e', { s: 'demo', t: b.t, a: b.a, ss: 'rv-session-2', e: [event({ n: 'purchase', x: 1, rv: { a: 5, c: 'eur' } })] });
    expect(all.status).toBe(400);
    expect(((await all.json()) as any).error.field).toBe('e.0.rv.c');
  });
});

describe('revenue metrics', () => {
  it('total and average in the site currency, each other currency converted once, one without a rate left out and named', async () => {
    const r = await query({ metrics: ['total_revenue', 'average_revenue'] });
    expect(r.status).toBe(200);
    // 19.99 EUR + 0.04 EUR (3 pence) + 13.81 EUR = 33.84 EUR over 6 orders = 5.64
    expect(r.body.results).toEqual([{ dimensions: [], metrics: [33.84, 5.64] }]);
    expect(r.body.meta).toMatchObject({ currency: 'EUR', warnings: [JPY_WARNING] });
  });

  it('split and filtered like any metric; the average rounds half up', async () => {
    const r = await query({ metrics: ['visitors', 'total_revenue', 'average_revenue'], dimensions: ['visit:country'] });
    expect(r.body.results).toEqual([
      { dimensions: ['DE'], metrics: [1, 20.03, 5.01] }, // 20.03 / 4 = 5.0075
      { dimensions: ['JP'], metrics: [1, 0, 0] },
      { dimensions: ['US'], metrics: [1, 13.81, 6.91] }, // 13.81 / 2 = 6.905
    ]);
    expect((await query({ metrics: ['total_revenue'], filters: [['is', 'visit:country', ['US']]] })).body.results).toEqual([{ dimensions: [], metrics: [13.81] }]);
    expect((await query({ metrics: ['total_revenue'], dimensions: ['event:goal'] })).body.results).toEqual([{ dimensions: ['purchase'], metrics: [33.84] }]);
    const quiet = new Date(day0 + 4 * DAY).toISOString().slice(0, 10);
    const none = await query({ metrics: ['total_revenue', 'average_revenue'], date_range: [quiet, quiet] });
    expect(none.body.results).toEqual([{ dimensions: [], metrics: [0, 0] }]);
    expect(none.body.meta.warnings).toBeUndefined();
  });

  it('a site without a reporting currency can not report revenue', () => {
    expect(() => siteCurrency(undefined, 'metrics')).toThrow(HTTPException);
  });
});

import { env, SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { insertRows } from './helpers';

// `"date_range": "realtime"` (worker/src/query/time.ts): who had an event in the last 5 minutes, by each event's own time —
// the dashboard's "Current visitors". A visit that started long ago but is still active counts; one that went quiet doesn't.
const now = Date.now();
const MIN = 60_000;
let n = 0;
const ev = (anon: string, visit: string, ago: number, name = 'pageview', country = 'DE') => ({
  site_id: 'demo', id: `rt-${n++}`, name, category: 'analytics', ts: now - ago, received_at: now - ago, url: 'https://shop.example/',
  path: '/', consent: '["analytics"]', anon_id: anon, session_id: visit, country, device: 'desktop',
});
const rows = [
  ev('rt-anon-a', 'rt-v1', 40 * MIN), // started 40 minutes ago…
  ev('rt-anon-a', 'rt-v1', 2 * MIN, 'click'), // …and still active: current
  ev('rt-anon-b', 'rt-v2', 1 * MIN, 'pageview', 'FR'), // current
  ev('rt-anon-c', 'rt-v3', 7 * MIN), // quiet for 7 minutes: not current
  ev('rt-anon-d', 'rt-v4', -1 * MIN), // a client clock a minute fast: current
];

beforeAll(async () => {
  await env.DB.batch(insertRows(rows));
});

const ask = async (body: object) => {
  const res = await SELF.fetch('http://collector.test/api/v1/query', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer dev-admin-key' },
    body: JSON.stringify({ site_id: 'demo', date_range: 'realtime', ...body }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { results: { dimensions: unknown[]; metrics: number[] }[] };
};

describe('date_range "realtime"', () => {
  it('counts visitors with an event in the last 5 minutes, whenever their visit started', async () => {
    expect((await ask({ metrics: ['visitors'] })).results).toEqual([{ dimensions: [], metrics: [3] }]);
  });

  it('takes filters and dimensions like any range', async () => {
    expect((await ask({ metrics: ['visitors'], filters: [['is', 'visit:country', ['FR']]] })).results).toEqual([{ dimensions: [], metrics: [1] }]);
    expect((await ask({ metrics: ['visitors'], dimensions: ['visit:country'] })).results).toEqual([
      { dimensions: ['DE'], metrics: [2] },
      { dimensions: ['FR'], metrics: [1] },
    ]);
  });

  it('a named range still reads the rollup: the 30-day figure counts all four visitors', async () => {
    const res = await SELF.fetch('http://collector.test/api/v1/query', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer dev-admin-key' },
      body: JSON.stringify({ site_id: 'demo', date_range: '30d', metrics: ['visitors'] }),
    });
    expect(((await res.json()) as { results: { metrics: number[] }[] }).results[0]!.metrics[0]).toBe(4);
  });
});

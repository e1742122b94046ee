// npm run bench:query — loads 1,000,000 synthetic events over the last 30 days into a fresh local D1
// (generated inside SQLite), starts the collector, and prints p50/p95 of the marketer queries next to
// a baseline measured in the same run (the cheapest authorized API call). Goal: p50 ≤ 300 ms each.
import { startCollector } from '../../scripts/collector.mjs';
import { benchDatabase, untilAnswered } from './bench-db.mjs';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const DAY = 86_400_000;
const now = Date.now();
const start = now - 30 * DAY;
const step = Math.floor((30 * DAY) / EVENTS);

// 7 events per visit, visits spread over 50,000 anonymous visitors (20 events each on average), 3 events per
// page view, consecutive page views walk /p0 … /p49 (/p0 is the demo's /demo/pricing, a goal); 5 % are signups; of the
// rest, impressions of a `data-tp-view` element, clicks on it, purchases with revenue (1 in 5 in USD) and shares.
// One anonymous id in 10 is linked to a user, two devices per user (the journey's and retention's stitching).
const VISITORS = Math.max(1, Math.floor(EVENTS / 20));
const sql = `
INSERT INTO events (site_id, id, name, category, ts, received_at, anon_id, session_id, pageview_id, url, path, source, medium, utm_source,
                    country, device, browser, os, consent, props, revenue, currency)
WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < ${EVENTS - 1})
SELECT 'demo', 'bench-' || n,
  CASE WHEN n % 20 < 14 THEN 'pageview' WHEN n % 20 = 14 THEN 'click'
    WHEN n % 20 = 15 THEN CASE (n / 20) % 4 WHEN 0 THEN 'impression' WHEN 1 THEN 'purchase' WHEN 2 THEN 'share' ELSE 'click' END
    WHEN n % 20 < 18 THEN 'scroll' WHEN n % 20 = 18 THEN 'engagement' ELSE 'signup' END,
  'analytics', ${start} + n * ${step}, ${start} + n * ${step},
  'a' || (((n / 7) * 48271) % ${VISITORS}), 's' || (n / 7), 'p' || (n / 3),
  'https://shop.example' || CASE WHEN (n / 3) % 50 = 0 THEN '/demo/pricing' ELSE '/p' || ((n / 3) % 50) END,
  CASE WHEN (n / 3) % 50 = 0 THEN '/demo/pricing' ELSE '/p' || ((n / 3) % 50) END,
  CASE (n / 7) % 5 WHEN 0 THEN 'search' WHEN 1 THEN 'social' WHEN 2 THEN 'email' WHEN 3 THEN 'referral' ELSE 'direct' END,
  CASE (n / 7) % 5 WHEN 0 THEN 'search' WHEN 1 THEN 'social' WHEN 2 THEN 'email' WHEN 3 THEN 'referral' ELSE 'direct' END,
  CASE WHEN (n / 7) % 5 = 2 THEN 'newsletter' END,
  CASE (n / 7) % 4 WHEN 0 THEN 'DE' WHEN 1 THEN 'FR' WHEN 2 THEN 'US' ELSE 'GB' END,
  CASE (n / 7) % 3 WHEN 0 THEN 'mobile' ELSE 'desktop' END, 'Chrome', 'Linux', '["analytics"]',
  CASE WHEN n % 20 IN (16, 17) THEN json_object('depth', 25 * (1 + n % 4))
    WHEN n % 20 = 15 AND (n / 20) % 4 = 0 THEN json_object('view', 'plan-pro')
    WHEN n % 20 = 15 AND (n / 20) % 4 = 3 THEN json_object('label', 'plan-pro') END,
  CASE WHEN n % 20 = 15 AND (n / 20) % 4 = 1 THEN 1000 + n % 9000 END,
  CASE WHEN n % 20 = 15 AND (n / 20) % 4 = 1 THEN CASE WHEN (n / 80) % 5 = 0 THEN 'USD' ELSE 'EUR' END END
FROM s;
INSERT INTO identity_links (site_id, anon_id, user_id, linked_at, verified, method)
WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 10 FROM k WHERE n + 10 < ${VISITORS})
SELECT 'demo', 'a' || n, 'u' || (n / 20), ${start} + (n * 48271) % ${30 * DAY}, 1, 'identify' FROM k;`;

const fmt = (ms) => `${ms.toFixed(0).padStart(6)} ms`;
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

// BENCH_STATE=dir keeps the loaded database there for the next run (bench-db.mjs).
const db = benchDatabase('tp-bench-q-', EVENTS, sql);
try {
  await run(db.state);
} finally {
  db.cleanup();
}


async function run(state) {
  const collector = await startCollector({ port: 8831, persistTo: state, logLevel: 'error' });
  const headers = { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' };
  const cases = [
    ['baseline: GET /api/v1/events?limit=1', () => fetch(`${collector.url}/api/v1/events?site_id=demo&limit=1`, { headers })],
    ['30d visitors,pageviews,bounce_rate', () => fetch(`${collector.url}/api/v1/query`, { method: 'POST', headers, body: JSON.stringify({ site_id: 'demo', date_range: '30d', metrics: ['visitors', 'pageviews', 'bounce_rate'] }) })],
    ['30d top pages', () => fetch(`${collector.url}/api/v1/query`, { method: 'POST', headers, body: JSON.stringify({ site_id: 'demo', date_range: '30d', metrics: ['visitors', 'pageviews'], dimensions: ['event:page'], filters: [['is', 'event:name', ['pageview']]], limit: 10 }) })],
    ['30d 3-step funnel', () => fetch(`${collector.url}/api/v1/funnel`, { method: 'POST', headers, body: JSON.stringify({ site_id: 'demo', date_range: '30d', window: '1d', steps: [{ event: 'pageview', page: '/p1' }, { event: 'pageview', page: '/p2' }, { event: 'signup' }] }) })],
    // Journey KPIs (issue 13): each new metric and dimension on its own, then the journey and retention endpoints.
    ...[
      ['30d total_revenue,average_revenue', { metrics: ['total_revenue', 'average_revenue'] }],
      ['30d goals: visitors,conversion_rate', { metrics: ['visitors', 'conversion_rate'], dimensions: ['event:goal'] }],
      ['30d visit:exit_page', { metrics: ['visitors'], dimensions: ['visit:exit_page'], limit: 10 }],
      ['30d visit:channel', { metrics: ['visitors'], dimensions: ['visit:channel'] }],
      ['30d visitor:type', { metrics: ['visitors', 'visits'], dimensions: ['visitor:type'] }],
      ['30d user:type', { metrics: ['visitors'], dimensions: ['user:type'] }],
      ['30d time:week', { metrics: ['visitors'], dimensions: ['time:week'] }],
      ['30d time:month', { metrics: ['visitors'], dimensions: ['time:month'] }],
    ].map(([name, body]) => [name, () => fetch(`${collector.url}/api/v1/query`, { method: 'POST', headers, body: JSON.stringify({ site_id: 'demo', date_range: '30d', ...body }) })]),
    ['30d journey', () => fetch(`${collector.url}/api/v1/journey`, { method: 'POST', headers, body: JSON.stringify({ site_id: 'demo', date_range: '30d' }) })],
    ['30d retention, weekly', () => fetch(`${collector.url}/api/v1/retention`, { method: 'POST', headers, body: JSON.stringify({ site_id: 'demo', date_range: '30d', period: 'week' }) })],
  ];
  try {
    // The events were loaded behind the consumer's back, so the per-visit rollup is behind: the first stats query folds them
    // all in (what happens once after migration 0005 on an existing database). Timed on its own, then the runs below.
    const t1 = performance.now();
    const warm = await cases[1][1]();
    if (!warm.ok) throw new Error(`catch-up: ${warm.status} ${await warm.text()}`);
    console.log(`First stats query, folding all ${EVENTS.toLocaleString('en')} events into the visit rollup: ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    // The restart that may follow it is waited out before the runs (bench-db.mjs).
    const waited = await untilAnswered((signal) => fetch(`${collector.url}/api/v1/events?site_id=demo&limit=1`, { headers, signal }), 'After the catch-up');
    if (waited > 1) console.log(`The collector answered again after ${waited.toFixed(1)} s (a restart after the catch-up)`);
    console.log(`\n${'query'.padEnd(42)}${'p50'.padStart(9)}${'p95'.padStart(9)}   (${RUNS} runs each, sequential)`);
    for (const [name, run] of cases) {
      const first = await run();
      if (!first.ok) throw new Error(`${name}: ${first.status} ${await first.text()}`);
      const sample = name.startsWith('baseline') ? undefined : await first.json();
      const times = [];
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        const r = await run();
        await r.arrayBuffer();
        times.push(performance.now() - t);
      }
      const example = sample && (sample.results?.[0] ?? sample.steps?.map((s) => s.visitors) ?? sample.identity ?? sample.cohorts?.[0]);
      console.log(`${name.padEnd(42)}${fmt(pct(times, 50))}${fmt(pct(times, 95))}${example ? `   e.g. ${JSON.stringify(example)}` : ''}`);
    }
    console.log('\nGoal: p50 ≤ 300 ms for each query; journey and retention ≤ 500 ms.');
  } finally {
    await collector.stop();
  }
}

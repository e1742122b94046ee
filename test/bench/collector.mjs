// npm run bench:collector — ingest throughput and latency next to an empty Worker measured in the
// same run, then end-to-end stored events/s (batched requests → Queue → D1), counted from stored rows.
// Loopback only, bounded in time and count. Goals: ingest ≥ 70% of the empty Worker's req/s with
// p99 ≤ 50 ms; ≥ 5,000 events/s stored.
//
// The Segment-compatible batch endpoint (POST /segment/v1/batch, 100 track/page calls about 100 consented visitors per
// request, Basic auth with the dev write key) runs in the same rounds: events/s accepted and CPU per event next to the
// snippet's path, and its own stored-end-to-end figure.
//
// A second baseline, the enqueue-only Worker (test/bench/enqueue-worker.js), has the collector's bindings and real consumer
// but forwards the body's events to the queue unchecked: the floor that the local queue and storage set for any ingest.
//
// Three views of ingest, each next to the empty Worker:
// - saturation: as many requests as 32 connections can push. Its p99 is mostly queueing (latency ≈ connections ÷
//   throughput in a closed loop), so it can only be ≤ 50 ms where throughput nearly equals the empty Worker's;
// - light load (4 connections): the latency of a request that is not waiting behind 31 others. (A fixed request rate
//   would be the textbook way, but autocannon's rate limiter sends each second's requests in a burst.)
// - CPU per request of the local runtime (workerd processes, from /proc): steadier than req/s on a shared machine.
//   Locally one workerd thread also runs the queue broker, D1, R2 and the queue consumer, so the collector's figure
//   includes the consumer storing what ingest sent.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { unstable_startWorker } from 'wrangler';
import { root, startCollector } from '../../scripts/collector.mjs';

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const STORE_BATCHES = Number(process.env.BENCH_STORE_BATCHES ?? 300); // × 100 events
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const headers = { 'content-type': 'text/plain;charset=UTF-8', origin: 'http://127.0.0.1:8787', 'user-agent': UA };

/** CPU time (ms) used so far by all workerd processes; null where /proc is not available. */
function workerdCpuMs() {
  try {
    let ticks = 0;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (!stat.includes('(workerd)')) continue;
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks += Number(f[11]) + Number(f[12]); // utime + stime
      } catch {
        // the process ended while listing
      }
    }
    return ticks * 10; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

const dir = mkdtempSync(path.join(tmpdir(), 'tp-bench-'));
const collector = await startCollector({ port: 8821, persistTo: path.join(dir, 'state'), logLevel: 'error' });
const floor = await startCollector({ port: 8823, persistTo: path.join(dir, 'floor'), logLevel: 'error', entrypoint: 'test/bench/enqueue-worker.js' });
const empty = await unstable_startWorker({
  name: 'empty',
  entrypoint: path.join(root, 'test/bench/empty-worker.js'),
  compatibilityDate: '2026-04-01',
  dev: { server: { hostname: '127.0.0.1', port: 8822 }, inspector: false, watch: false, logLevel: 'error' },
});
await empty.ready;

const stopAll = async () => {
  await empty.dispose();
  await floor.stop();
  await collector.stop();
  rmSync(dir, { recursive: true, force: true });
};

try {
  const consent = await fetch(`${collector.url}/v1/consent`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ s: 'demo', id: 'bench-consent-secret-0000000000000001', ri: 'bench-receipt-0001', g: { analytics: true }, v: '2026-11-01', m: 'api', ts: Date.now() }),
  });
  if (consent.status !== 200) throw new Error(`consent answered ${consent.status}: ${await consent.text()}`);
  const { token } = await consent.json();
  const batch = (n, prefix) => ({
    s: 'demo',
    t: token,
    a: `bench-anon-${prefix}`,
    ss: 'bench-session-1',
    e: Array.from({ length: n }, (_, i) => ({
      i: `${prefix}-${i}`.padEnd(8, '0'),
      n: i === 0 ? 'pageview' : 'click',
      c: 'analytics',
      ts: Date.now(),
      u: 'https://shop.example/pricing?utm_source=bench',
      r: 'https://www.google.com/',
      p: i === 0 ? undefined : { tag: 'a', text: 'Buy now', href: 'https://shop.example/checkout' },
    })),
  });
  const body = JSON.stringify(batch(10, 'load'));
  // What a real snippet batch looks like after a busy page: 20 events of every kind, with their props.
  const KINDS = [
    ['pageview', undefined],
    ['scroll', { depth: 25 }], ['scroll', { depth: 50 }], ['scroll', { depth: 75 }],
    ['impression', { view: 'newsletter-box' }], ['impression', { view: 'pricing-table' }],
    ['click', { tag: 'a', text: 'Pricing', id: 'nav-pricing', href: 'https://shop.example/pricing' }],
    ['click', { tag: 'button', text: 'Show yearly prices', view: 'pricing-table' }],
    ['form_start', { form: 'signup' }],
    ['form_field', { form: 'signup', field: 'name', type: 'text', ms: 2400, filled: true }],
    ['form_field', { form: 'signup', field: 'email', type: 'email', ms: 3100, filled: true }],
    ['form_field', { form: 'signup', field: 'password', type: 'password', ms: 5200, filled: true }],
    ['form_error', { form: 'signup', field: 'email', error: 'typeMismatch' }],
    ['form_field', { form: 'signup', field: 'email', type: 'email', ms: 1900, filled: true }],
    ['form_submit', { form: 'signup', v_company_size: '11-50' }],
    ['signup', { plan: 'pro' }],
    ['download', { tag: 'a', text: 'Brochure (PDF)', id: 'download', href: 'https://shop.example/files/brochure.pdf' }],
    ['outbound', { tag: 'a', text: 'Our partner', id: 'outbound', href: 'https://example.org/partner' }],
    ['rage_click', { tag: 'button' }],
    ['engagement', { ms: 48200, scroll: 75 }],
  ];
  const body20 = JSON.stringify({
    ...batch(0, 'real'),
    e: KINDS.map(([n, p], i) => ({ i: `real-${i}`.padEnd(8, '0'), n, c: 'analytics', ts: Date.now(), u: 'https://shop.example/pricing?utm_source=bench', pv: 'bench-pageview-1', ...(i === 0 ? { r: 'https://www.google.com/' } : {}), ...(p ? { p } : {}), ...(n === 'signup' ? { x: 1 } : {}) })),
  });

  // Server-side senders: 100 visitors with analytics consent on record (their browsers' receipts), one call each per batch.
  const subjects = [];
  for (let i = 0; i < 100; i++) {
    const a = `bench-server-anon-${String(i).padStart(3, '0')}`;
    const r = await fetch(`${collector.url}/v1/consent`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ s: 'demo', id: `bench-server-consent-${String(i).padStart(12, '0')}`, ri: `bench-server-receipt-${i}`, g: { analytics: true }, v: '2026-11-01', m: 'api', ts: Date.now(), a, k: 'k'.repeat(64) }),
    });
    if (r.status !== 200) throw new Error(`consent answered ${r.status}`);
    subjects.push(a);
  }
  const segmentHeaders = { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('dev-write-key:').toString('base64')}`, 'user-agent': 'analytics-node-next/latest' };
  const segmentBatch = (n, prefix) => ({
    sentAt: new Date().toISOString(),
    batch: Array.from({ length: n }, (_, i) => ({
      type: i % 10 === 0 ? 'page' : 'track',
      ...(i % 10 === 0 ? { name: 'Pricing' } : { event: 'Order Completed' }),
      anonymousId: subjects[i % subjects.length],
      messageId: `${prefix}-${i}`,
      timestamp: new Date().toISOString(),
      properties: i % 10 === 0 ? { url: 'https://shop.example/pricing?utm_source=bench' } : { order_id: `o-${i}`, revenue: 19.99, currency: 'EUR', plan: 'pro' },
      context: { userAgent: UA, library: { name: '@segment/analytics-node', version: '3.1.0' } },
    })),
  });
  const segmentBody = JSON.stringify(segmentBatch(100, 'load'));

  const run = async (url, opts = {}) => {
    await quiet();
    const cpu0 = workerdCpuMs();
    const r = await autocannon({ url, method: 'POST', headers, body, connections: CONNECTIONS, duration: DURATION, ...opts });
    const cpu1 = workerdCpuMs();
    r.cpuPerRequest = cpu0 === null || cpu1 === null ? null : ((cpu1 - cpu0) / r.requests.total) * 1000;
    return r;
  };
  /** Waits (≤ 30 s) until the local runtimes are idle, so that one run's queue backlog doesn't land in the next run. */
  const quiet = async () => {
    for (let i = 0; i < 60; i++) {
      const a = workerdCpuMs();
      await new Promise((r) => setTimeout(r, 500));
      const b = workerdCpuMs();
      if (a === null || b === null || b - a < 25) return; // under 5 % of a core
    }
  };
  const emptyUrl = `${(await empty.url).origin}/`;
  const ingestUrl = `${collector.url}/v1/e`;
  const targets = [
    { name: 'empty Worker (204)', url: emptyUrl, runs: [] },
    { name: 'enqueue-only floor', url: `${floor.url}/v1/e`, runs: [] },
    { name: 'collector POST /v1/e', url: ingestUrl, runs: [] },
    { name: 'POST /segment/v1/batch', url: `${collector.url}/segment/v1/batch`, runs: [], opts: { body: segmentBody, headers: segmentHeaders }, events: 100 },
    { name: 'floor, 20-event batch', url: `${floor.url}/v1/e`, runs: [], opts: { body: body20 }, events: 20 },
    { name: 'collector, 20-event batch', url: ingestUrl, runs: [], opts: { body: body20 }, events: 20 },
  ];
  const [base, enqueueOnly, ingest, server, floor20, real] = targets;
  console.log(`\nIngest: ${ROUNDS} rounds × ${DURATION}s per Worker, ${CONNECTIONS} connections, 10 events per request (${body.length} bytes)`);
  console.log('Each round runs them in a rotated order; figures are medians over the rounds (a shared machine drifts by ±10 % between runs).\n');
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(round + k) % targets.length];
      t.runs.push(await run(t.url, t.opts));
    }
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const med = (t, f) => median(t.runs.map(f));
  const cpuKnown = targets.every((t) => t.runs.every((r) => r.cpuPerRequest !== null));
  const row = (name, r) =>
    `${name.padEnd(22)} ${String(Math.round(r.rps)).padStart(8)} req/s   p50 ${String(r.p50).padStart(4)} ms   p99 ${String(r.p99).padStart(4)} ms` +
    (r.cpu === null ? '' : `   workerd CPU ${String(Math.round(r.cpu)).padStart(5)} µs/req`);
  const summary = (t) => ({
    rps: med(t, (r) => r.requests.average),
    p50: med(t, (r) => r.latency.p50),
    p99: med(t, (r) => r.latency.p99),
    cpu: cpuKnown ? med(t, (r) => r.cpuPerRequest) : null,
  });
  console.log('saturation');
  for (const t of targets) console.log(row(`  ${t.name}`, summary(t)));
  // Ratios within a round share the machine's state of that moment: their median is steadier than a ratio of medians.
  const ratio = (a) => median(a.runs.map((r, i) => r.requests.average / base.runs[i].requests.average));
  const pct = (x) => `${(x * 100).toFixed(1)} %`;
  const non2xx = [...ingest.runs, ...enqueueOnly.runs, ...server.runs, ...floor20.runs, ...real.runs].reduce((n, r) => n + r.non2xx, 0);
  console.log(`  ratio                ${pct(ratio(ingest))} of the empty Worker's req/s (goal ≥ 70 %); the floor: ${pct(ratio(enqueueOnly))}; non-2xx: ${non2xx}`);
  console.log(`                       per round: ${ingest.runs.map((r, i) => pct(r.requests.average / base.runs[i].requests.average)).join(', ')}`);
  if (cpuKnown) {
    const us = (x) => Math.round(x);
    const [b, f, c] = targets.map((t) => med(t, (r) => r.cpuPerRequest));
    console.log(`  CPU per request      empty ${us(b)} µs; + queue send and storage ${us(f - b)} µs; + the collector's own work ${us(c - f)} µs`);
  }
  // Per event: the snippet's requests carry 10 events, the Segment batches 100 (workerd CPU includes the consumer storing them).
  console.log('per event (same rounds)');
  for (const [t, n] of [[ingest, 10], [real, 20], [server, 100]]) {
    const cpu = cpuKnown ? `   workerd CPU ${String(Math.round(med(t, (r) => r.cpuPerRequest) / n)).padStart(4)} µs/event` : '';
    console.log(`  ${t.name.padEnd(26)} ${String(Math.round(med(t, (r) => r.requests.average) * n)).padStart(7)} events/s accepted${cpu}   ${pct(ratio(t))} of the empty Worker's req/s`);
  }
  if (cpuKnown) {
    // The collector's own work per event: its CPU per request minus the enqueue-only floor's for the same body (goal ≤ 25 µs).
    const own = (c, f, n) => Math.round((med(c, (r) => r.cpuPerRequest) - med(f, (r) => r.cpuPerRequest)) / n);
    console.log(`  the collector's own work: ${own(ingest, enqueueOnly, 10)} µs/event at 10 events a request, ${own(real, floor20, 20)} µs/event for a real 20-event snippet batch (goal ≤ 25)`);
  }
  const lightBase = await run(emptyUrl, { connections: 4, duration: 2 * DURATION });
  const lightIngest = await run(ingestUrl, { connections: 4, duration: 2 * DURATION });
  const once = (r) => ({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, cpu: r.cpuPerRequest });
  console.log('light load, 4 connections');
  console.log(row('  empty Worker (204)', once(lightBase)));
  console.log(row('  collector POST /v1/e', once(lightIngest)));
  console.log(`  p99                  ${lightIngest.latency.p99} ms (goal ≤ 50 ms; the empty Worker's own: ${lightBase.latency.p99} ms); non-2xx: ${lightIngest.non2xx}`);

  // End to end: unique events, 100 per request, until every one is stored. Counted with one stats query (the `events`
  // metric of today's visits, which reads the per-visit rollup the consumer folds in the same transaction as the rows), so
  // polling costs a few ms instead of paging the export; the load phase's rows (it repeats one body, so ~10) are the baseline.
  const countStored = async () => {
    const r = await fetch(`${collector.url}/api/v1/query`, {
      method: 'POST',
      headers: { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' },
      body: JSON.stringify({ site_id: 'demo', date_range: 'day', metrics: ['events'] }),
    });
    if (!r.ok) throw new Error(`stats query answered ${r.status}`);
    return (await r.json()).results[0].metrics[0];
  };
  // Let the load phase's queue drain (its messages repeat one body, so they add no rows to watch): one fresh event goes in
  // behind them, and once it is stored the backlog is gone.
  const before = await countStored();
  const sentinel = await fetch(`${collector.url}/v1/e`, { method: 'POST', headers, body: JSON.stringify(batch(1, 'drain')) });
  if (sentinel.status !== 202) throw new Error(`ingest answered ${sentinel.status}`);
  const drainDeadline = Date.now() + 120_000;
  while ((await countStored()) === before && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 100));
  const baseline = await countStored();
  const target = STORE_BATCHES * 100;
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < STORE_BATCHES) {
        const k = next++;
        const res = await fetch(`${collector.url}/v1/e`, { method: 'POST', headers, body: JSON.stringify(batch(100, `store${k}`)) });
        if (res.status !== 202) throw new Error(`ingest answered ${res.status}`);
      }
    }),
  );
  const sentMs = performance.now() - t0;
  const deadline = Date.now() + 120_000;
  let counted = 0;
  while (counted < target && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    counted = (await countStored()) - baseline;
    if (process.env.BENCH_TRACE) console.log(`${((performance.now() - t0) / 1000).toFixed(2)} s: ${counted}`);
  }
  const storedMs = performance.now() - t0;
  console.log(`\nStored end to end: ${counted} / ${target} events in ${(storedMs / 1000).toFixed(2)} s (requests sent in ${(sentMs / 1000).toFixed(2)} s)`);
  console.log(`                   ${Math.round((counted / storedMs) * 1000)} events/s stored (goal ≥ 5,000)\n`);

  // The same for Segment batches: 100 unique calls per request, until every one is stored.
  const serverBaseline = await countStored();
  const s0 = performance.now();
  let nextServer = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (nextServer < STORE_BATCHES) {
        const k = nextServer++;
        const res = await fetch(`${collector.url}/segment/v1/batch`, { method: 'POST', headers: segmentHeaders, body: JSON.stringify(segmentBatch(100, `store${k}`)) });
        if (res.status !== 200) throw new Error(`segment batch answered ${res.status}: ${await res.text()}`);
        const answer = await res.json();
        if (answer.accepted !== 100) throw new Error(`segment batch accepted ${answer.accepted} of 100: ${JSON.stringify(answer).slice(0, 500)}`);
      }
    }),
  );
  const serverSentMs = performance.now() - s0;
  const serverDeadline = Date.now() + 120_000;
  let serverCounted = 0;
  while (serverCounted < target && Date.now() < serverDeadline) {
    await new Promise((r) => setTimeout(r, 50));
    serverCounted = (await countStored()) - serverBaseline;
  }
  const serverStoredMs = performance.now() - s0;
  console.log(`Segment batches stored end to end: ${serverCounted} / ${target} events in ${(serverStoredMs / 1000).toFixed(2)} s (requests sent in ${(serverSentMs / 1000).toFixed(2)} s)`);
  console.log(`                   ${Math.round((serverCounted / serverStoredMs) * 1000)} events/s stored\n`);
} finally {
  await stopAll();
}

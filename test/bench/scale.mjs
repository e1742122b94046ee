// npm run bench:scale — measures the path past one D1 instead of guessing it. For each size (default 1M and 10M events,
// BENCH_SCALE_SIZES=…), a fresh local collector stores a year of synthetic traffic (395 days, the default retention; 10
// events per visit) day by day through the consumer's own storage code (test/bench/scale-worker.js): D1 inserts and the
// rollup fold, one compacted Parquet file per day in R2, the hot window's trim. Memory stays bounded: one day at a time.
// Then it prints D1 bytes per million events (raw events, rollups, indexes, read with SQLite's dbstat from the local
// database file), Parquet bytes per million, query p50s, and the largest site one D1 serves at the default retention.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startCollector } from '../../scripts/collector.mjs';

const SIZES = (process.env.BENCH_SCALE_SIZES ?? '1000000,10000000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const DAYS = 395;
const HOT = 35;
const DAY = 86_400_000;
const D1_LIMIT = 10 * 1024 ** 3; // D1's per-database maximum (10 GB)
const headers = { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' };
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;

/** Bytes per table and index of the local D1 file (SQLite's dbstat, through python3's sqlite3: D1 doesn't expose it). */
function d1Sizes(state) {
  const dir = path.join(state, 'v3/d1/miniflare-D1DatabaseObject');
  const file = readdirSync(dir).filter((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite').map((f) => path.join(dir, f)).sort((a, b) => statSync(b).size - statSync(a).size)[0];
  const py = `import sqlite3, json, sys
c = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)
rows = c.execute("SELECT s.name, COALESCE(m.tbl_name, s.name), sum(s.pgsize) FROM dbstat s LEFT JOIN sqlite_master m ON m.name = s.name GROUP BY s.name").fetchall()
print(json.dumps(rows))`;
  const r = spawnSync('python3', ['-c', py, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dbstat via python3 failed (python3 with sqlite3 is needed for the D1 sizes): ${r.stderr}`);
  const out = {};
  for (const [name, table, bytes] of JSON.parse(r.stdout)) {
    const t = (out[table] ??= { table: 0, indexes: 0 });
    if (name === table) t.table += bytes;
    else t.indexes += bytes;
  }
  return { tables: out, file: statSync(file).size };
}

async function run(total, port) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tp-bench-scale-'));
  const state = path.join(dir, 'state');
  const collector = await startCollector({ port, persistTo: state, logLevel: 'error', entrypoint: 'test/bench/scale-worker.js' });
  const now = Date.now();
  const today = Math.floor(now / DAY) * DAY;
  const first = today - (DAYS - 1) * DAY;
  const hotFrom = today - HOT * DAY;
  const perDay = Math.ceil(total / DAYS);
  const visitsTotal = Math.ceil(total / 10);
  const sums = { generate_ms: 0, d1_ms: 0, parquet_ms: 0, trim_ms: 0, parquet_bytes: 0 };
  const t0 = performance.now();
  try {
    let from = 0;
    for (let d = 0; d < DAYS && from < total; d++) {
      const n = Math.min(perDay, total - from);
      // A day is idempotent (INSERT OR IGNORE, the same key, the same trim): resent when the local runtime restarts mid-request.
      let res;
      for (let attempt = 0; ; attempt++) {
        res = await fetch(`${collector.url}/bench/day`, {
          method: 'POST',
          body: JSON.stringify({ site: 'demo', from, n, dayStart: first + d * DAY, perDay, visitsTotal, hotFrom }),
        }).catch((err) => ({ ok: false, status: 0, text: async () => String(err) }));
        if (res.ok || attempt === 4) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      if (!res.ok) throw new Error(`day ${d}: ${res.status} ${await res.text()}`);
      for (const [k, v] of Object.entries(await res.json())) sums[k] += v;
      from += n;
      if (d % 50 === 49) process.stdout.write(`  ${from.toLocaleString('en')} events stored (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
    }
    const loadS = (performance.now() - t0) / 1000;
    const counts = await (await fetch(`${collector.url}/api/v1/query`, { method: 'POST', headers, body: JSON.stringify({ site_id: 'demo', date_range: 'all', metrics: ['visits', 'events'] }) })).json();
    const [visits] = counts.results[0].metrics;
    const cases = [
      ['baseline: GET /api/v1/events?limit=1', () => fetch(`${collector.url}/api/v1/events?site_id=demo&limit=1`, { headers })],
      ['30d visitors,pageviews,bounce_rate', { date_range: '30d', metrics: ['visitors', 'pageviews', 'bounce_rate'] }],
      ['12mo visitors by source (rollup)', { date_range: '12mo', metrics: ['visitors', 'visits'], dimensions: ['visit:source'] }],
      ['30d top pages (page rollup)', { date_range: '30d', metrics: ['visitors', 'pageviews'], dimensions: ['event:page'], filters: [['is', 'event:name', ['pageview']]], limit: 10 }],
      ['30d events by name (raw events)', { date_range: '30d', metrics: ['events', 'visitors'], dimensions: ['event:name'] }],
      ['30d 3-step funnel (raw events)', '/api/v1/funnel'],
    ].map(([name, q]) => [
      name,
      typeof q === 'function'
        ? q
        : q === '/api/v1/funnel'
          ? () => fetch(`${collector.url}/api/v1/funnel`, { method: 'POST', headers, body: JSON.stringify({ site_id: 'demo', date_range: '30d', window: '1d', steps: [{ event: 'pageview', page: '/' }, { event: 'click' }, { event: 'signup' }] }) })
          : () => fetch(`${collector.url}/api/v1/query`, { method: 'POST', headers, body: JSON.stringify({ site_id: 'demo', ...q }) }),
    ]);
    const p50 = {};
    for (const [name, call] of cases) {
      const first = await call();
      if (!first.ok) throw new Error(`${name}: ${first.status} ${await first.text()}`);
      await first.arrayBuffer();
      const times = [];
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        await (await call()).arrayBuffer();
        times.push(performance.now() - t);
      }
      p50[name] = pct(times, 50);
    }
    await collector.stop();
    const sizes = d1Sizes(state);
    return { total, visits, loadS, sums, p50, sizes, rawInD1: Math.min(total, perDay * HOT) };
  } finally {
    await collector.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = [];
let port = 8891;
for (const total of SIZES) {
  console.log(`\n${total.toLocaleString('en')} events over ${DAYS} days (${Math.ceil(total / DAYS).toLocaleString('en')} a day, 10 per visit), hot window ${HOT} days:`);
  const r = await run(total, port++);
  results.push(r);
  const t = r.sizes.tables;
  const ev = t.events ?? { table: 0, indexes: 0 };
  const roll = ['visits', 'visit_pages'].reduce((s, k) => ({ table: s.table + (t[k]?.table ?? 0), indexes: s.indexes + (t[k]?.indexes ?? 0) }), { table: 0, indexes: 0 });
  const perM = (b, n) => mb((b * 1e6) / n);
  console.log(`  stored in ${r.loadS.toFixed(0)} s: generate ${(r.sums.generate_ms / 1000).toFixed(0)} s, D1 insert+fold ${(r.sums.d1_ms / 1000).toFixed(0)} s, Parquet encode+put ${(r.sums.parquet_ms / 1000).toFixed(0)} s, trim ${(r.sums.trim_ms / 1000).toFixed(0)} s`);
  console.log(`  D1 file ${mb(r.sizes.file)}: raw events ${r.rawInD1.toLocaleString('en')} (hot window) → table ${perM(ev.table, r.rawInD1)} + indexes ${perM(ev.indexes, r.rawInD1)} per million raw events`);
  console.log(`  rollups for all ${r.total.toLocaleString('en')} events (${r.visits.toLocaleString('en')} visits): tables ${perM(roll.table, r.total)} + indexes ${perM(roll.indexes, r.total)} per million events (${((roll.table + roll.indexes) / r.visits).toFixed(0)} bytes a visit)`);
  console.log(`  Parquet (one compacted file a day): ${perM(r.sums.parquet_bytes, r.total)} per million events (${mb(r.sums.parquet_bytes)} in all)`);
  console.log(`  query p50 (${RUNS} runs):`);
  for (const [name, ms] of Object.entries(r.p50)) console.log(`    ${name.padEnd(40)}${ms.toFixed(0).padStart(6)} ms`);
}

// The largest site one D1 holds at the default retention: rollups for 395 days plus raw events for 35, from the
// biggest run's bytes per event (raw, with indexes) and per visit (rollups, with indexes).
const big = results.at(-1);
const t = big.sizes.tables;
const rawPerEvent = ((t.events?.table ?? 0) + (t.events?.indexes ?? 0)) / big.rawInD1;
const rollupPerVisit = ['visits', 'visit_pages'].reduce((s, k) => s + (t[k]?.table ?? 0) + (t[k]?.indexes ?? 0), 0) / big.visits;
console.log(`\nPer event in D1: ${rawPerEvent.toFixed(0)} bytes raw (hot window only); per visit: ${rollupPerVisit.toFixed(0)} bytes of rollups (kept ${DAYS} days).`);
for (const perVisit of [5, 10, 20]) {
  // visits/day × (35 days × events per visit × raw bytes + 395 days × rollup bytes per visit) ≤ 10 GB
  const visitsPerDay = D1_LIMIT / (HOT * perVisit * rawPerEvent + DAYS * rollupPerVisit);
  console.log(`  ${perVisit} events per visit: one D1 serves ~${Math.floor(visitsPerDay).toLocaleString('en')} visits a day (${Math.floor((visitsPerDay * perVisit) / 1e3).toLocaleString('en')}k events a day); without the hot window (raw events kept ${DAYS} days): ~${Math.floor(D1_LIMIT / (DAYS * perVisit * rawPerEvent + DAYS * rollupPerVisit)).toLocaleString('en')} visits a day`);
}

// npm run bench:parquet — what the archive costs the queue consumer, per batch, measured on the Worker's own code
// (worker/src/storage/parquet.ts, bundled with esbuild for Node): CPU to encode a batch of realistic event rows as Parquet
// next to baselines on the same rows (JSON.stringify, the old gzip NDJSON), and the bytes each format keeps per 1,000
// events, for a consumer part (one batch) and for a compacted file (a day's parts merged).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'tp-bench-pq-'));
const out = path.join(dir, 'parquet.mjs');
await build({ entryPoints: [path.join(root, 'worker/src/storage/parquet.ts')], bundle: true, format: 'esm', platform: 'neutral', conditions: ['workerd', 'worker', 'browser'], mainFields: ['module', 'main'], outfile: out, logLevel: 'error' });
const { encodeParquet, decodeParquet, bufferFile } = await import(out);

/** Rows shaped like a real snippet's: page views with campaign fields, clicks, scrolls and engagement with props. */
export function syntheticRows(n, start = Date.UTC(2026, 10, 20), seed = 1) {
  const rows = [];
  const pages = ['/', '/pricing', '/docs/getting-started', '/blog/consent-first-analytics', '/checkout', '/thanks'];
  for (let i = 0; i < n; i++) {
    const visit = Math.floor((i + seed * 7919) / 20);
    const kind = i % 10;
    const name = kind < 3 ? 'pageview' : kind < 6 ? 'click' : kind < 8 ? 'scroll' : kind === 8 ? 'engagement' : 'signup';
    const path = pages[(visit + Math.floor(i / 3)) % pages.length];
    rows.push({
      site_id: 'demo', id: `ev-${seed}-${i}-${(i * 2654435761 % 4294967296).toString(36)}`, name, custom: name === 'signup' ? 1 : 0,
      category: 'analytics', ts: start + i * 1500, received_at: start + Math.floor(i / 20) * 30_000 + 900,
      anon_id: `anon-${(visit * 48271 % 100_000).toString(36)}-x7f3k2`, user_id: visit % 9 === 0 ? `cust_${visit}` : null,
      session_id: `sess-${visit.toString(36)}-q8w`, visitor_hash: null, pageview_id: `pv-${Math.floor(i / 3).toString(36)}-z1`,
      url: `https://shop.example${path}${visit % 5 === 2 ? '?utm_source=newsletter&utm_medium=email&utm_campaign=nov' : ''}`, path,
      referrer: name === 'pageview' && visit % 3 === 0 ? 'https://www.google.com/' : null, ref_host: name === 'pageview' && visit % 3 === 0 ? 'google.com' : null,
      source: ['search', 'social', 'email', 'referral', 'direct'][visit % 5], medium: visit % 5 === 2 ? 'email' : null,
      utm_source: visit % 5 === 2 ? 'newsletter' : null, utm_medium: visit % 5 === 2 ? 'email' : null, utm_campaign: visit % 5 === 2 ? 'nov' : null,
      utm_term: null, utm_content: null, click_id: null, country: ['DE', 'FR', 'US', 'GB'][visit % 4], region: null, city: null, timezone: null,
      browser: ['Chrome', 'Firefox', 'Safari'][visit % 3], os: ['Windows', 'Mac OS', 'Linux', 'iOS'][visit % 4], device: visit % 3 ? 'desktop' : 'mobile',
      bot: 0, cookieless: 0, consent: 'analytics,marketing',
      props: kind < 3 ? null : JSON.stringify(kind < 6 ? { label: `Buy ${i % 7}`, href: `https://shop.example/p/${i % 40}` } : kind < 8 ? { depth: 25 * (1 + (i % 4)) } : kind === 8 ? { ms: 1000 + (i % 50) * 300 } : { plan: 'pro' }),
      sent_from: 'browser', revenue: name === 'signup' ? 1999 : null, currency: name === 'signup' ? 'EUR' : null,
    });
  }
  return rows;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function time(fn, runs) {
  for (let i = 0; i < 20; i++) fn(); // warm up the JIT
  const t = [];
  for (let i = 0; i < runs; i++) {
    const s = process.cpuUsage();
    fn();
    const d = process.cpuUsage(s);
    t.push((d.user + d.system) / 1000);
  }
  return median(t);
}

try {
  const RUNS = Number(process.env.BENCH_RUNS ?? 200);
  console.log(`CPU per consumer batch (median of ${RUNS}, one core, ms):`);
  console.log(`${'rows'.padStart(6)}${'Parquet'.padStart(10)}${'JSON.stringify'.padStart(16)}${'gzip NDJSON'.padStart(13)}${'µs/event (Parquet)'.padStart(21)}`);
  for (const n of [20, 100, 1000]) {
    const rows = syntheticRows(n);
    const pq = time(() => encodeParquet(rows), RUNS);
    const js = time(() => JSON.stringify(rows), RUNS);
    const gz = time(() => gzipSync(rows.map((r) => JSON.stringify(r)).join('\n')), RUNS);
    console.log(`${String(n).padStart(6)}${pq.toFixed(2).padStart(10)}${js.toFixed(2).padStart(16)}${gz.toFixed(2).padStart(13)}${((pq * 1000) / n).toFixed(1).padStart(21)}`);
  }

  console.log('\nBytes per 1,000 events:');
  const part = syntheticRows(100);
  const day = syntheticRows(100_000);
  const ndjsonBytes = (rows) => Buffer.byteLength(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const per1k = (bytes, n) => Math.round((bytes * 1000) / n).toLocaleString('en').padStart(10);
  console.log(`${'layout'.padEnd(44)}${'NDJSON'.padStart(10)}${'gzip'.padStart(10)}${'Parquet'.padStart(10)}`);
  for (const [label, rows, opts] of [['one consumer part (100 events)', part, {}], ['compacted day (100,000 events)', day, { compacted: true }]]) {
    const nd = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
    const buf = encodeParquet(rows, opts);
    console.log(`${label.padEnd(44)}${per1k(ndjsonBytes(rows), rows.length)}${per1k(gzipSync(nd).length, rows.length)}${per1k(buf.byteLength, rows.length)}`);
  }
  // Round trip: what the Worker reads back (erasure, compaction, DSAR) equals what it wrote.
  const back = await decodeParquet(bufferFile(encodeParquet(part)));
  const { visitor_hash: _h, ...first } = part[0];
  if (JSON.stringify(back[0]) !== JSON.stringify(first) || back.length !== part.length) throw new Error(`round trip differs:\n${JSON.stringify(back[0])}\n${JSON.stringify(first)}`);
  const dayFile = encodeParquet(day, { compacted: true });
  const s = process.cpuUsage();
  await decodeParquet(bufferFile(dayFile));
  const d = process.cpuUsage(s);
  const s2 = process.cpuUsage();
  encodeParquet(day, { compacted: true });
  const d2 = process.cpuUsage(s2);
  console.log(`\nCompaction-sized file (100,000 events): encode ${((d2.user + d2.system) / 1000).toFixed(0)} ms, decode ${((d.user + d.system) / 1000).toFixed(0)} ms of CPU`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

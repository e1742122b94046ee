import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error — plain ESM helpers shared with npm start, npm run archive:pull and the benchmarks
import { pullArchive } from '../../scripts/archive-pull.mjs';
// @ts-expect-error — see above
import { root, startCollector } from '../../scripts/collector.mjs';

/**
 * The open archive as a site owner meets it (CONTRACT §7): events sent through the public ingest path of a locally
 * started collector (fresh storage), the archive pulled through the API with `archive:pull`'s code, and read by DuckDB —
 * which must see the export's rows and values, the hive columns, and no trace of an erased visitor.
 */
const PORT = 8871;
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const ADMIN = { authorization: 'Bearer dev-admin-key' };
const dir = mkdtempSync(path.join(tmpdir(), 'tp-archive-'));
const out = path.join(dir, 'pulled');
let collector: { url: string; stop(): Promise<void> };
let db: DuckDBInstance;
let duck: DuckDBConnection;

const sendText = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain', origin: `http://127.0.0.1:${PORT}`, 'user-agent': UA }, body: JSON.stringify(body) });

/** A browser that accepted analytics through the banner, then sent a page's events: its anonymous id and event ids. */
async function visitor(day: number, n: number) {
  const a = `anon-${randomUUID()}`;
  const res = await sendText(`${collector.url}/v1/consent`, {
    s: 'demo', id: randomBytes(24).toString('hex'), ri: `r-${randomUUID()}`, g: { analytics: true, marketing: false, personalization: false },
    v: '2026-11-01', m: 'banner', ts: Date.now(), a, k: randomBytes(32).toString('hex'),
  });
  expect(res.status).toBe(200);
  const { token } = (await res.json()) as { token: string };
  const events = Array.from({ length: n }, (_, i) => ({
    i: `ev-${randomUUID()}`, n: i === 0 ? 'pageview' : 'signup', c: 'analytics', ts: day + i * 1000, u: `https://shop.example/p/${i}?utm_source=nl`,
    ...(i === 0 ? { pv: `pv-${a}` } : { x: 1, p: { plan: 'pro', seats: i }, rv: { a: 19.99, c: 'EUR' } }),
  }));
  const sent = await sendText(`${collector.url}/v1/e`, { s: 'demo', t: token, a, ss: `s-${a}`, e: events });
  expect(await sent.json()).toMatchObject({ accepted: n, rejected: [] });
  return { a, ids: events.map((e) => e.i) };
}

/** Every exported event of the demo site (GET /api/v1/events, all pages). */
async function exported(): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (let cursor = '0'; ; ) {
    const page = (await (await fetch(`${collector.url}/api/v1/events?site_id=demo&limit=1000&cursor=${cursor}`, { headers: ADMIN })).json()) as {
      events: Record<string, unknown>[];
      next_cursor: string | null;
    };
    rows.push(...page.events);
    if (!page.next_cursor) return rows;
    cursor = page.next_cursor;
  }
}

/** Waits until the archive listing counts `n` rows (the consumer writes R2 right after D1). */
async function archivedRows(n: number): Promise<number> {
  for (let i = 0; ; i++) {
    const list = (await (await fetch(`${collector.url}/api/v1/archive?site_id=demo`, { headers: ADMIN })).json()) as { objects: { rows: number }[] };
    const rows = list.objects.reduce((s, o) => s + o.rows, 0);
    if (rows >= n || i > 100) return rows;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const query = async (sql: string) => (await duck.runAndReadAll(sql)).getRowObjectsJS();
const glob = () => `${out.replaceAll("'", "''")}/events/*/*/*.parquet`;

beforeAll(async () => {
  collector = await startCollector({ port: PORT, persistTo: path.join(dir, 'state') });
  db = await DuckDBInstance.create(':memory:');
  duck = await db.connect();
});
afterAll(async () => {
  duck?.closeSync();
  db?.closeSync();
  await collector?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the archive, pulled and read with DuckDB', () => {
  it('has the export\'s rows and values, typed, under hive columns site and date; an erased visitor is in no file', async () => {
    // Two days: the partitions follow each event's own UTC day.
    const today = Date.now() - 60_000;
    const yesterday = today - 86_400_000;
    const visitors = [await visitor(today, 3), await visitor(yesterday, 2), await visitor(today, 2)];
    const total = visitors.reduce((s, v) => s + v.ids.length, 0);
    for (let i = 0; (await exported()).length < total && i < 100; i++) await new Promise((r) => setTimeout(r, 200));
    expect(await archivedRows(total)).toBe(total);

    const pulled = await pullArchive({ site: 'demo', out, api: collector.url, key: 'dev-admin-key' });
    expect(pulled.rows).toBe(total);
    expect(readdirSync(path.join(out, 'events', 'site=demo')).sort()).toEqual(
      [...new Set([yesterday, today].map((t) => `date=${new Date(t).toISOString().slice(0, 10)}`))].sort(),
    );

    const rows = await query(`SELECT *, epoch_ms(ts) AS ts_ms, epoch_ms(received_at) AS received_ms, CAST(date AS VARCHAR) AS day,
      props::VARCHAR AS props_text, strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%d') AS ts_day FROM read_parquet('${glob()}', hive_partitioning = true)`);
    const d1 = await exported();
    expect(rows).toHaveLength(d1.length);
    const byId = new Map(rows.map((r) => [r.id as string, r]));
    for (const e of d1) {
      const r = byId.get(e.id as string)!;
      expect(r, `event ${e.id as string}`).toBeDefined();
      // Hive columns from the path: the site, and the event's UTC day.
      expect(r.site).toBe('demo');
      expect(r.day).toBe(r.ts_day);
      // Every export field is a column with D1's value: times as timestamps, flags as booleans, props as JSON, revenue exact.
      const { ts, received_at, props, custom, bot, cookieless, revenue, ...same } = e;
      expect(Number(r.ts_ms)).toBe(ts);
      expect(Number(r.received_ms)).toBe(received_at);
      expect(JSON.parse((r.props_text as string | null) ?? '{}')).toEqual(props);
      expect([r.custom, r.bot, r.cookieless]).toEqual([custom === 1, bot === 1, cookieless === 1]);
      expect(r.revenue === null ? null : Number(r.revenue)).toBe(revenue);
      for (const [k, v] of Object.entries(same)) expect(r[k], k).toEqual(v);
    }
    const types = Object.fromEntries((await query(`DESCRIBE SELECT * FROM read_parquet('${glob()}', hive_partitioning = true)`)).map((c) => [c.column_name, c.column_type]));
    expect(types).toMatchObject({ ts: 'TIMESTAMP WITH TIME ZONE', received_at: 'TIMESTAMP WITH TIME ZONE', props: 'JSON', custom: 'BOOLEAN', revenue: 'BIGINT', site: 'VARCHAR', date: 'DATE' });
    // JSON is queryable as such.
    expect(await query(`SELECT count(*)::INT AS n FROM read_parquet('${glob()}') WHERE props->>'plan' = 'pro'`)).toEqual([{ n: total - visitors.length }]);

    // Erasure (DSAR) of one browser: gone from every file, the others untouched.
    const [victim] = visitors;
    const del = await fetch(`${collector.url}/api/v1/subjects/${victim!.a}?site_id=demo&kind=anonymous`, { method: 'DELETE', headers: ADMIN });
    expect(del.status).toBe(200);
    expect(((await del.json()) as { removed: { archive: { records_removed: number } } }).removed.archive.records_removed).toBe(victim!.ids.length);
    await pullArchive({ site: 'demo', out, api: collector.url, key: 'dev-admin-key' });
    const files = await query(`SELECT filename, count(*)::INT AS n FROM read_parquet('${glob()}', filename = true) WHERE anon_id = '${victim!.a}' GROUP BY filename`);
    expect(files).toEqual([]);
    const left = await query(`SELECT count(*)::INT AS n FROM read_parquet('${glob()}')`);
    expect(left).toEqual([{ n: total - victim!.ids.length }]);
    expect((await exported()).length).toBe(total - victim!.ids.length);
  });

  it('DuckDB reads compacted files too: full statistics, bloom filters, row groups it can skip', async () => {
    // The Worker's own encoder, bundled for Node as wrangler bundles it.
    const bundle = path.join(dir, 'parquet.mjs');
    await build({ entryPoints: [path.join(root, 'worker/src/storage/parquet.ts')], bundle: true, format: 'esm', platform: 'neutral', conditions: ['workerd', 'worker', 'browser'], mainFields: ['module', 'main'], outfile: bundle, logLevel: 'error' });
    const { encodeParquet } = (await import(bundle)) as { encodeParquet(rows: object[], o: object): ArrayBuffer };
    const base = Date.parse('2026-06-01T00:00:00Z');
    const rows = Array.from({ length: 5000 }, (_, i) => ({
      site_id: 'demo', id: `c-${i}`, name: i % 10 ? 'pageview' : 'signup', custom: i % 10 ? 0 : 1, category: 'analytics', ts: base + i * 1000, received_at: base + i * 1000,
      anon_id: `a-${i % 97}`, user_id: i % 5 ? null : `u-${i % 13}`, url: 'https://x/', path: `/p${i % 7}`, bot: 0, cookieless: 0, consent: 'analytics',
      props: i % 10 ? null : JSON.stringify({ plan: 'pro' }), sent_from: 'browser', revenue: i % 10 ? null : 1999, currency: i % 10 ? null : 'EUR',
    }));
    const file = path.join(dir, 'compacted', 'events', 'site=demo', 'date=2026-06-01', 'c-test.parquet');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, new Uint8Array(encodeParquet(rows, { compacted: true, rowGroupSize: 1000 })));
    const f = file.replaceAll("'", "''");
    expect(await query(`SELECT count(*)::INT AS n, count(DISTINCT anon_id)::INT AS a, sum(revenue)::INT AS rev FROM read_parquet('${f}')`)).toEqual([{ n: 5000, a: 97, rev: 500 * 1999 }]);
    expect(await query(`SELECT count(*)::INT AS n FROM read_parquet('${f}') WHERE anon_id = 'a-5' AND user_id IS NULL`)).toEqual([{ n: rows.filter((r) => r.anon_id === 'a-5' && !r.user_id).length }]);
    const meta = await query(`SELECT count(DISTINCT row_group_id)::INT AS groups, bool_and(stats_min_value IS NOT NULL) AS stats FROM parquet_metadata('${f}') WHERE path_in_schema = 'ts'`);
    expect(meta).toEqual([{ groups: 5, stats: true }]);
    const bloom = await query(`SELECT count(*)::INT AS n FROM parquet_bloom_probe('${f}', 'anon_id', 'a-5') WHERE NOT bloom_filter_excludes`);
    expect(bloom[0]!.n).toBeGreaterThan(0);
    const absent = await query(`SELECT bool_and(bloom_filter_excludes) AS all_excluded FROM parquet_bloom_probe('${f}', 'anon_id', 'nobody')`);
    expect(absent).toEqual([{ all_excluded: true }]);
  });
});

import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from 'cloudflare:test';
import { parquetMetadata } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { compactSite } from '../src/archive/compact';
import { rewriteWithout } from '../src/archive/erase';
import { eraseSubject } from '../src/privacy/subjects';
import { ReadFailed } from '../src/storage/r2-file';
import { sha256Hex } from '../src/crypto/hmac';
import { handleQueue } from '../src/pipeline/consume';
import { datePrefix, objectKey, putParquet } from '../src/storage/archive';
import { archiveEvents } from '../src/storage/archive-sink';
import { ARCHIVE_COLUMNS } from '../src/storage/parquet';
import streamSchema from '../../docs/archive-stream.schema.json';
import type { EventsMessage, QueueMessage } from '../src/storage/messages';
import { archiveObjects, archiveRows, withMethods } from './archive-helpers';
import { id } from './helpers';

/**
 * The consumer archives as Parquet (CONTRACT §7): hive-partitioned by site and event day, typed columns, one part per
 * invocation and day whose name a redelivery reproduces. Its own site (`demo-cookieless`) and days far from the other
 * files' keep this file's assertions about whole partitions exact.
 */
const SITE = 'demo-cookieless';
const DAY1 = Date.parse('2026-03-02T23:59:30Z');
const DAY2 = Date.parse('2026-03-03T00:00:30Z');

const message = (anon: string, at: number[], over: Partial<EventsMessage['events'][number]> = {}): EventsMessage => ({
  k: 'ev',
  site: SITE,
  received_at: at[0]! + 1000,
  ctx: {
    anon_id: anon, user_id: null, session_id: `s-${anon}`, visitor_hash: 'vh', country: 'DE', region: null, city: null, timezone: null,
    browser: 'Chrome', os: 'Linux', device: 'desktop', bot: 0, cookieless: 0, consent: 'analytics',
  },
  counts: {},
  events: at.map((ts) => ({
    id: id('ar'), name: 'signup', custom: 1, category: 'analytics', ts, url: 'https://shop.example/thanks?utm_source=nl', path: '/thanks',
    referrer: null, ref_host: null, source: 'email', medium: 'email', utm_source: 'nl', utm_medium: null, utm_campaign: null, utm_term: null,
    utm_content: null, click_id: null, pageview_id: 'pv-1', props: JSON.stringify({ plan: 'pro', seats: 3 }), sent_from: 'browser', revenue: 1999,
    currency: 'EUR', ...over,
  })),
});

async function consume(messages: { id: string; body: EventsMessage }[]) {
  const batch = createMessageBatch<QueueMessage>('tp-events', messages.map((m) => ({ ...m, timestamp: new Date(), attempts: 1 })));
  await handleQueue(batch, env);
  return getQueueResult(batch, createExecutionContext());
}
const partsOf = async (date: string) => (await archiveObjects(datePrefix(SITE, date))).filter((o) => o.rows.length);

describe('the consumer writes Parquet', () => {
  it('one part per day of the batch, typed columns, the same keys on redelivery', async () => {
    const anon = id('anon');
    // The identity graph gives the archive's rows their user id, as it gives D1's.
    await env.DB.prepare("INSERT INTO identity_links (site_id, anon_id, user_id, linked_at, verified, method) VALUES (?1, ?2, 'cust_ar', 1, 1, 'identify')").bind(SITE, anon).run();
    const messages = [{ id: id('m'), body: message(anon, [DAY1, DAY2]) }];
    expect((await consume(messages)).explicitAcks).toHaveLength(1);
    const batch = (await sha256Hex(messages.map((m) => m.id).join(','))).slice(0, 24);
    const keys = [objectKey(SITE, '2026-03-02', `p-${batch}`), objectKey(SITE, '2026-03-03', `p-${batch}`)];
    for (const k of keys) expect(await env.ARCHIVE.head(k)).not.toBeNull();

    const [first] = await archiveRows(keys[0]!);
    const d1 = await env.DB.prepare('SELECT * FROM events WHERE id = ?1').bind(messages[0]!.body.events[0]!.id).first<Record<string, unknown>>();
    const { seq: _s, visitor_hash: _h, ...exported } = d1!;
    expect(first).toEqual(exported); // every export field, D1's values (user_id from the graph included)
    expect(first).toMatchObject({ user_id: 'cust_ar', ts: DAY1, revenue: 1999, props: '{"plan":"pro","seats":3}', custom: 1, bot: 0 });

    // Typed: timestamps are TIMESTAMP(MILLIS, UTC), props JSON, flags BOOLEAN, revenue INT64; snappy-compressed.
    const meta = parquetMetadata(await (await env.ARCHIVE.get(keys[0]!))!.arrayBuffer());
    const col = (name: string) => meta.schema.find((s) => s.name === name)!;
    expect(col('ts')).toMatchObject({ type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' } });
    expect(col('props')).toMatchObject({ type: 'BYTE_ARRAY', converted_type: 'JSON' });
    expect(col('bot').type).toBe('BOOLEAN');
    expect(col('revenue').type).toBe('INT64');
    expect(col('visitor_hash')).toBeUndefined();
    expect(meta.row_groups[0]!.columns[0]!.meta_data!.codec).toBe('SNAPPY');

    // A redelivery of the same messages rewrites the same two objects, adding none.
    const before = (await archiveObjects(`events/site=${SITE}/date=2026-03-0`)).map((o) => o.key).sort();
    await consume(messages);
    expect((await archiveObjects(`events/site=${SITE}/date=2026-03-0`)).map((o) => o.key).sort()).toEqual(before);
  });
});

const ADMIN = { authorization: 'Bearer dev-admin-key' };
const get = (path: string, headers: Record<string, string> = ADMIN) => SELF.fetch(`http://collector.test${path}`, { headers });

describe('GET /api/v1/archive and /api/v1/archive/object', () => {
  it('list a site\'s objects by day and serve them, to keys of that site only', async () => {
    const anon = id('anon');
    await consume([{ id: id('m'), body: message(anon, [Date.parse('2026-03-10T10:00:00Z')]) }]);
    const list = (await (await get(`/api/v1/archive?site_id=${SITE}&from=2026-03-10&to=2026-03-10`)).json()) as { objects: { key: string; date: string; rows: number; size: number }[] };
    expect(list.objects.length).toBeGreaterThanOrEqual(1);
    expect(list.objects.every((o) => o.date === '2026-03-10' && o.key.startsWith(`events/site=${SITE}/date=2026-03-10/`) && o.rows >= 1 && o.size > 0)).toBe(true);
    const o = list.objects[0]!;
    const res = await get(`/api/v1/archive/object?site_id=${SITE}&key=${encodeURIComponent(o.key)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.apache.parquet');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(bytes.length).toBe(o.size);
    expect(new TextDecoder().decode(bytes.slice(-4))).toBe('PAR1');
    // Range requests: what engines reading Parquet over HTTP send for the footer.
    const tail = await get(`/api/v1/archive/object?site_id=${SITE}&key=${encodeURIComponent(o.key)}`, { ...ADMIN, range: 'bytes=-8' });
    expect(tail.status).toBe(206);
    expect(new TextDecoder().decode(new Uint8Array(await tail.arrayBuffer()).slice(-4))).toBe('PAR1');

    // Scoping: no key 401, another site's key 403 (list and object), a key naming another site 403, anything else 404.
    const other = 'tp_test_other_site_key_0123456789';
    await env.DB.prepare("INSERT OR IGNORE INTO api_keys (key_hash, prefix, name, sites, created_at) VALUES (?1, 'tp_test_ot', 'other', '[\"demo\"]', 0)").bind(await sha256Hex(other)).run();
    expect((await get(`/api/v1/archive?site_id=${SITE}`, {})).status).toBe(401);
    expect((await get(`/api/v1/archive?site_id=${SITE}`, { authorization: `Bearer ${other}` })).status).toBe(403);
    expect((await get(`/api/v1/archive/object?site_id=${SITE}&key=${encodeURIComponent(o.key)}`, { authorization: `Bearer ${other}` })).status).toBe(403);
    expect((await get(`/api/v1/archive/object?site_id=demo&key=${encodeURIComponent(o.key)}`, { authorization: `Bearer ${other}` })).status).toBe(403);
    for (const bad of [
      `events/site=${SITE}/date=2026-03-10/../../site=demo/date=2026-03-10/x.parquet`,
      `events/site=${SITE}/date=2026-03-10/x.parquet/../../y.parquet`,
      `events/${SITE}/2026/03/10/10/x.ndjson.gz`,
      `other/${o.key}`,
      '',
    ]) {
      expect((await get(`/api/v1/archive/object?site_id=${SITE}&key=${encodeURIComponent(bad)}`)).status, bad).toBe(404);
    }
    expect((await get(`/api/v1/archive/object?site_id=${SITE}&key=${encodeURIComponent(objectKey(SITE, '2026-03-10', 'p-missing'))}`)).status).toBe(404);
    expect((await get(`/api/v1/archive?site_id=${SITE}&from=2026-02-30`)).status).toBe(400);
    expect((await get(`/api/v1/archive?site_id=${SITE}&cursor=${encodeURIComponent(objectKey('demo', '2026-03-10', 'p-x'))}`)).status).toBe(400);
    const doc = (await (await get('/api/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/archive', '/api/v1/archive/object']));
  });
});

describe('compaction', () => {
  it('merges a day\'s parts into one file, deduped by event id, and deletes them', async () => {
    const day = Date.parse('2026-03-20T08:00:00Z');
    const messages = Array.from({ length: 4 }, (_, i) => ({ id: id('m'), body: message(id('anon'), [day + i * 1000, day + i * 1000 + 1]) }));
    for (const m of messages) await consume([m]);
    // A redelivery in another composition: the same events under another part name.
    await consume(messages.slice(0, 2));
    expect((await partsOf('2026-03-20')).length).toBe(5);
    await compactSite(env, SITE, { all: true });
    const after = await partsOf('2026-03-20');
    expect(after.map((o) => o.key)).toEqual([expect.stringMatching(new RegExp(`^events/site=${SITE}/date=2026-03-20/c-[0-9a-f]{24}\\.parquet$`))]);
    expect(after[0]!.rows.map((r) => r.id).sort()).toEqual(messages.flatMap((m) => m.body.events.map((e) => e.id)).sort());
    expect(after[0]!.rows.map((r) => r.ts)).toEqual([...after[0]!.rows.map((r) => r.ts)].sort((a, b) => a - b));
    // Compacted files carry bloom filters on the ids erasure looks for.
    const meta = parquetMetadata(await (await env.ARCHIVE.get(after[0]!.key))!.arrayBuffer());
    const anonChunk = meta.row_groups[0]!.columns.find((c) => c.meta_data!.path_in_schema[0] === 'anon_id')!;
    expect(anonChunk.meta_data!.bloom_filter_offset).toBeDefined();
  });

  /** A bucket whose first put of a compacted file runs `hook` just before (or after) it lands. */
  function hooked(when: 'before' | 'after', hook: () => Promise<unknown>): R2Bucket {
    let fired = false;
    return withMethods(env.ARCHIVE, {
      put: async (key: string, ...rest: unknown[]) => {
        const mine = !fired && /\/c-[0-9a-f]+\.parquet$/.test(key) && !(rest[1] as R2PutOptions | undefined)?.onlyIf;
        if (mine && when === 'before') {
          fired = true;
          await hook();
        }
        const out = await (env.ARCHIVE.put as (...a: unknown[]) => Promise<unknown>)(key, ...rest);
        if (mine && when === 'after') {
          fired = true;
          await hook();
        }
        return out;
      },
    });
  }

  for (const when of ['before', 'after'] as const) {
    it(`an erasure that runs while a day is being compacted (${when} the merged file lands) is never undone`, async () => {
      const date = when === 'before' ? '2026-03-21' : '2026-03-22';
      const day = Date.parse(`${date}T09:00:00Z`);
      const victim = id('anon');
      const bystander = id('anon');
      await consume([{ id: id('m'), body: message(victim, [day, day + 1]) }]);
      await consume([{ id: id('m'), body: message(bystander, [day + 2]) }]);
      await consume([{ id: id('m'), body: message(victim, [day + 3]) }]);
      const erase = async () => {
        const res = await SELF.fetch(`http://collector.test/api/v1/subjects/${victim}?site_id=${SITE}&kind=anonymous`, { method: 'DELETE', headers: ADMIN });
        expect(res.status).toBe(200);
      };
      // The parts were read, with the victim's rows, before the erasure: it rewrites the parts, not the merged file
      // ('before'), or finds the merged file and rewrites it while compaction is about to check it ('after').
      await compactSite({ ...env, ARCHIVE: hooked(when, erase) }, SITE, { all: true });
      const rows = (await partsOf(date)).flatMap((o) => o.rows);
      expect(rows.filter((r) => r.anon_id === victim)).toEqual([]);
      expect(rows.filter((r) => r.anon_id === bystander)).toHaveLength(1);
      // A later run has nothing to bring back either.
      await compactSite(env, SITE, { all: true });
      expect((await partsOf(date)).flatMap((o) => o.rows).filter((r) => r.anon_id === victim)).toEqual([]);
    });
  }

  it('an object that is not readable Parquet is reported by erasure and left out of compaction; the rest is erased and merged', async () => {
    const date = '2026-03-24';
    const day = Date.parse(`${date}T09:00:00Z`);
    const victim = id('anon');
    const bystander = id('anon');
    await consume([{ id: id('m'), body: message(victim, [day]) }]);
    await consume([{ id: id('m'), body: message(bystander, [day + 1]) }]);
    const broken = objectKey(SITE, date, 'p-broken');
    await env.ARCHIVE.put(broken, 'PAR1 this was cut short by a failed upload');
    try {
      const res = await SELF.fetch(`http://collector.test/api/v1/subjects/${victim}?site_id=${SITE}&kind=anonymous`, { method: 'DELETE', headers: ADMIN });
      expect(res.status).toBe(200);
      const report = ((await res.json()) as { removed: { archive: Record<string, unknown> } }).removed.archive;
      expect(report).toMatchObject({ records_removed: 1, objects_unreadable: 1, unreadable_keys: [broken] });
      await compactSite(env, SITE, { all: true });
      const readable = (await env.ARCHIVE.list({ prefix: datePrefix(SITE, date) })).objects.map((o) => o.key).filter((k) => k !== broken);
      expect(readable).toHaveLength(1); // the bystander's part (the victim's went with its only row); compaction didn't fail
      expect(await (await env.ARCHIVE.get(broken))!.text()).toBe('PAR1 this was cut short by a failed upload');
    } finally {
      await env.ARCHIVE.delete(broken);
    }
    const rows = (await partsOf(date)).flatMap((o) => o.rows);
    expect(rows.map((r) => r.anon_id)).toEqual([bystander]);
  });

  it('an erasure committing between the consumer\'s admission and its write: nothing of the subject is stored, archived or sent', async () => {
    const date = '2026-03-29';
    const victim = id('anon');
    const bystander = id('anon');
    // D1 as the consumer sees it, with the erasure landing right before its second round trip (the write).
    let calls = 0;
    const racing = withMethods(env.DB, {
      batch: async (statements: D1PreparedStatement[]) => {
        if (++calls === 2) await eraseSubject(env.DB, env.ARCHIVE, { siteId: SITE, anonIds: [victim], userId: null }, Date.now());
        return env.DB.batch(statements);
      },
    });
    const day = Date.parse(`${date}T09:00:00Z`);
    const batch = createMessageBatch<QueueMessage>('tp-events', [
      { id: id('m'), body: message(victim, [day, day + 1]), timestamp: new Date(), attempts: 1 },
      { id: id('m'), body: message(bystander, [day + 2]), timestamp: new Date(), attempts: 1 },
    ]);
    await handleQueue(batch, { ...env, DB: racing });
    expect(calls).toBeGreaterThanOrEqual(2);
    const stored = await env.DB.prepare('SELECT anon_id FROM events WHERE anon_id IN (?1, ?2)').bind(victim, bystander).all<{ anon_id: string }>();
    expect(stored.results.map((r) => r.anon_id)).toEqual([bystander]);
    expect((await partsOf(date)).flatMap((o) => o.rows).map((r) => r.anon_id)).toEqual([bystander]);
  });

  it('an R2 read failing while an object is decoded is not taken for an unreadable object: the rewrite fails, to be retried', async () => {
    const date = '2026-03-28';
    await consume([{ id: id('m'), body: message(id('anon'), [Date.parse(`${date}T09:00:00Z`)]) }]);
    const [obj] = (await env.ARCHIVE.list({ prefix: datePrefix(SITE, date) })).objects;
    // R2 lists and heads but fails every read; the size makes the reader take ranges first (as for a file over 2 MiB).
    const flaky = withMethods(env.ARCHIVE, { get: () => Promise.reject(new Error('R2 is having a moment')) });
    await expect(rewriteWithout(flaky, { key: obj!.key, size: 3 * 1024 * 1024, etag: obj!.etag }, () => true)).rejects.toBeInstanceOf(ReadFailed);
    expect((await partsOf(date)).flatMap((o) => o.rows)).toHaveLength(1); // untouched
    // A read that fails once is tried again: the rewrite goes through (here the object is small, so it is read whole).
    let failures = 0;
    const once = withMethods(env.ARCHIVE, {
      get: (key: string, opts?: R2GetOptions) => (failures++ === 0 ? Promise.reject(new Error('R2 blip')) : env.ARCHIVE.get(key, opts)),
    });
    expect(await rewriteWithout(once, { key: obj!.key, size: obj!.size, etag: obj!.etag }, () => true)).toEqual({ removed: 1, deleted: true });
    expect(failures).toBeGreaterThan(1);
  });

  it('converts objects of the old gzip NDJSON archive into Parquet parts of their events\' days', async () => {
    const ts = Date.parse('2026-03-25T12:00:00Z');
    const line = { site_id: SITE, id: id('legacy'), name: 'pageview', custom: 0, category: 'analytics', ts, received_at: ts, anon_id: 'legacy-anon', visitor_hash: 'vh', url: 'https://x/', path: '/', bot: 0, cookieless: 0, consent: 'analytics', props: '{"a":1}' };
    const key = `events/${SITE}/2026/03/25/12/legacy-batch.ndjson.gz`;
    const gz = await new Response(new Blob([`${JSON.stringify(line)}\n`]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer();
    await env.ARCHIVE.put(key, gz, { httpMetadata: { contentType: 'application/x-ndjson', contentEncoding: 'gzip' } });
    const report = await compactSite(env, SITE, { all: true });
    expect(report.legacy_converted).toBeGreaterThanOrEqual(1);
    expect(await env.ARCHIVE.head(key)).toBeNull();
    const rows = (await partsOf('2026-03-25')).flatMap((o) => o.rows);
    expect(rows).toEqual([expect.objectContaining({ id: line.id, anon_id: 'legacy-anon', ts, props: '{"a":1}', sent_from: 'browser', revenue: null })]);
    expect(JSON.stringify(rows)).not.toContain('visitor_hash');
  });
});

describe('putParquet', () => {
  it('is a compare-and-swap with onlyIf: a stale ETag writes nothing', async () => {
    const key = objectKey(SITE, '2026-03-26', 'p-cas');
    const row = (await archiveRows((await archiveObjects(`events/site=${SITE}/date=2026-03-02/`))[0]!.key))[0]!;
    const a = (await putParquet(env.ARCHIVE, key, [row]))!;
    await putParquet(env.ARCHIVE, key, [row, { ...row, id: 'second' }]);
    expect(await putParquet(env.ARCHIVE, key, [], { onlyIf: { etagMatches: a.etag } })).toBeNull();
    expect((await archiveRows(key)).map((r) => r.id)).toEqual([row.id, 'second']);
  });
});

describe('the archive sink is configuration', () => {
  it('TP_ARCHIVE_SINK=pipelines sends the same columns to a Pipelines stream (schema: docs/archive-stream.schema.json)', async () => {
    const sent: Record<string, unknown>[][] = [];
    const stream = { send: async (records: Record<string, unknown>[]) => void sent.push(records) };
    const m = message(id('anon'), [Date.parse('2026-03-27T10:00:00Z')]);
    const rows = m.events.map((e) => ({ ...m.ctx, ...e, site_id: SITE, received_at: m.received_at }));
    await archiveEvents({ ...env, TP_ARCHIVE_SINK: 'pipelines', ARCHIVE_STREAM: stream }, rows, 'sink-test');
    expect(await env.ARCHIVE.head(objectKey(SITE, '2026-03-27', 'p-sink-test'))).toBeNull(); // R2 not written
    expect(sent).toHaveLength(1);
    expect(Object.keys(sent[0]![0]!)).toEqual(streamSchema.fields.map((f) => f.name));
    expect(sent[0]![0]).toMatchObject({ custom: true, bot: false, props: { plan: 'pro', seats: 3 }, ts: rows[0]!.ts, revenue: 1999 });
    // Both, comma-separated; an unknown name or a missing binding fails loudly (the consumer retries, nothing is lost).
    await archiveEvents({ ...env, TP_ARCHIVE_SINK: 'r2,pipelines', ARCHIVE_STREAM: stream }, rows, 'sink-test');
    expect(await env.ARCHIVE.head(objectKey(SITE, '2026-03-27', 'p-sink-test'))).not.toBeNull();
    expect(sent).toHaveLength(2);
    await expect(archiveEvents({ ...env, TP_ARCHIVE_SINK: 'pipelines' }, rows, 'x')).rejects.toThrow(/ARCHIVE_STREAM/);
    // The stream's schema file lists the archive's columns with matching types.
    const kinds: Record<string, string> = { string: 'string', flag: 'bool', timestamp: 'timestamp', int64: 'int64', json: 'json' };
    expect(streamSchema.fields.map((f) => [f.name, f.type, f.required])).toEqual(ARCHIVE_COLUMNS.map(([n, k, r]) => [n, kinds[k], r]));
  });
});

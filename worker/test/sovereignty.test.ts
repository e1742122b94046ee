import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { hmacSha256, toHex } from '../src/crypto/hmac';
import { CONFIG } from '../src/config/sites';
import { publicConsentId } from '../src/consent/record';
import { enforceSite } from '../src/privacy/retention';
import { subjectHash } from '../src/privacy/tombstones';
import { objectKey, putParquet, utcDate } from '../src/storage/archive';
import { archiveObjects } from './archive-helpers';
import { consentBody, event, id, post, waitForRows } from './helpers';

const ADMIN = { authorization: 'Bearer dev-admin-key' };
const api = (path: string, init: RequestInit = {}) => SELF.fetch(`http://collector.test${path}`, { ...init, headers: { ...ADMIN, ...(init.headers ?? {}) } });
const secretOf = () => toHex(crypto.getRandomValues(new Uint8Array(32)));

/** A browser that granted analytics: its ids, secret and token, registered once the receipt is stored. */
async function browser(g: Record<string, boolean> = { analytics: true, marketing: false, personalization: false }) {
  const a = id('anon');
  const k = secretOf();
  const body = consentBody(g, { a, k });
  const res = await post('/v1/consent', body);
  expect(res.status).toBe(200);
  const t = ((await res.json()) as { token: string }).token;
  // The receipt is stored, and the secret bound, before the answer.
  if (g.analytics) expect(await env.DB.prepare('SELECT 1 FROM browser_secrets WHERE anon_id = ?1').bind(a).first()).not.toBeNull();
  return { a, k, t, consentSecret: body.id, consentId: await publicConsentId(body.id) };
}
const me = (b: { a: string; k: string }, method = 'GET', auth = `Bearer ${b.a}.${b.k}`) =>
  SELF.fetch('http://collector.test/v1/me?s=demo', { method, headers: { authorization: auth, origin: 'http://127.0.0.1:8787' } });
async function sendEvents(b: { a: string; t: string }, n = 2, u?: string) {
  const events = Array.from({ length: n }, (_, i) => event({ u: `https://shop.example/page-${i}` }));
  expect((await post('/v1/e', { s: 'demo', t: b.t, a: b.a, ss: id('sess'), ...(u ? { u } : {}), e: events })).status).toBe(202);
  return events;
}
/** Every D1 table and R2 object that still mentions one of `needles`. */
async function mentions(needles: string[]): Promise<string[]> {
  const found: string[] = [];
  const { results } = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%'").all<{ name: string }>();
  for (const { name } of results) {
    const rows = JSON.stringify((await env.DB.prepare(`SELECT * FROM ${name}`).all()).results);
    if (needles.some((x) => rows.includes(x))) found.push(`d1:${name}`);
  }
  // The archive read back as rows (Parquet through hyparquet, old NDJSON objects as lines).
  for (const o of await archiveObjects('events/')) {
    const text = JSON.stringify(o.rows);
    if (needles.some((x) => text.includes(x))) found.push(`r2:${o.key}`);
  }
  return found;
}
/** Archived rows of an anonymous id, across every object of the demo site's archive. */
const archived = async (anon: string) => (await archiveObjects('events/site=demo/')).flatMap((o) => o.rows).filter((r) => r.anon_id === anon).length;

describe('consent receipts', () => {
  it('are append-only; the latest per consent id is the state; no IP or UA; the anonymous id only with analytics', async () => {
    const first = consentBody({ analytics: true, marketing: true, personalization: false }, { a: id('anon'), k: secretOf() });
    expect((await post('/v1/consent', first)).status).toBe(200);
    const second = consentBody({ analytics: false, marketing: false, personalization: false }, { id: first.id, m: 'preferences', ts: first.ts + 1000, a: first.a });
    expect((await post('/v1/consent', second)).status).toBe(200);
    // Stored before the answer; shown under the public consent id, a hash of the browser's secret one.
    const cid = await publicConsentId(first.id);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM consent_receipts WHERE consent_id = ?1').bind(cid).first('n')).toBe(2);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM consent_receipts WHERE consent_id = ?1').bind(first.id).first('n')).toBe(0);
    const all = (await (await api(`/api/v1/consent/receipts?site_id=demo&from=${first.ts}`)).json()) as any;
    const mine = all.receipts.filter((r: any) => r.consent_id === cid);
    expect(mine.map((r: any) => [r.method, r.granted, r.anon_id])).toEqual([
      ['banner', ['analytics', 'marketing'], first.a],
      ['preferences', [], null],
    ]);
    expect(Object.keys(mine[0]).sort()).toEqual(['anon_id', 'consent_id', 'denied', 'gpc', 'granted', 'method', 'policy_version', 'receipt_id', 'received_at', 'ts']);
    const latest = (await (await api(`/api/v1/consent/receipts?site_id=demo&latest=1&from=${first.ts}`)).json()) as any;
    expect(latest.receipts.filter((r: any) => r.consent_id === cid).map((r: any) => r.method)).toEqual(['preferences']);
    // A resent receipt is not a second row.
    expect((await post('/v1/consent', second)).status).toBe(200);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM consent_receipts WHERE consent_id = ?1').bind(cid).first('n')).toBe(2);
    expect((await api('/api/v1/consent/receipts?site_id=demo&cursor=bad')).status).toBe(400);
    expect((await SELF.fetch('http://collector.test/api/v1/consent/receipts?site_id=demo')).status).toBe(401);
  }, 20_000);
});

describe('visitor self-service /v1/me', () => {
  it('needs the browser secret: a stolen anonymous id alone gets 401', async () => {
    const b = await browser();
    expect((await me(b, 'GET', `Bearer ${b.a}.${secretOf()}`)).status).toBe(401);
    expect((await me(b, 'GET', `Bearer ${b.a}`)).status).toBe(401);
    expect((await me(b, 'GET', '')).status).toBe(401);
    expect((await me({ a: id('anon'), k: b.k })).status).toBe(401);
    expect((await me(b, 'DELETE', `Bearer ${b.a}.${secretOf()}`)).status).toBe(401);
    expect((await me(b)).status).toBe(200);
  });

  it('GET exports this browser\'s events, receipts and identity link', async () => {
    const b = await browser();
    const events = await sendEvents(b, 3);
    const user = id('cust');
    const token = toHex(await hmacSha256('dev-identity-secret', user));
    expect((await post('/v1/identify', { s: 'demo', a: b.a, k: b.k, u: user, t: b.t, token, traits: { plan: 'pro' } })).status).toBe(200);
    await waitForRows('SELECT 1 FROM events WHERE anon_id = ?1', [b.a], 3);
    const res = await me(b);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8787');
    const data = (await res.json()) as any;
    expect(data.events.map((e: any) => e.id).sort()).toEqual(events.map((e) => e.i).sort());
    expect(data.consent_receipts).toEqual([expect.objectContaining({ consent_id: b.consentId, anon_id: b.a })]);
    expect(data.identity_links).toEqual([expect.objectContaining({ anon_id: b.a, user_id: user, verified: true })]);
    // What is stored about the user this browser is linked to is part of the visitor's own export.
    expect(data.traits).toEqual({ plan: 'pro' });
    expect(JSON.stringify(data)).not.toContain(b.k);
  });

  it('an export cursor that had passed the erased rows still sees every event stored after the erasure', async () => {
    const b = await browser();
    await sendEvents(b, 2);
    await waitForRows('SELECT 1 FROM events WHERE anon_id = ?1', [b.a], 2);
    // A client that has exported everything holds the newest seq as its cursor; the erasure removes exactly those rows.
    const newest = (await env.DB.prepare('SELECT max(seq) AS seq FROM events').first<{ seq: number }>())!.seq;
    expect((await env.DB.prepare('SELECT max(seq) AS seq FROM events WHERE anon_id = ?1').bind(b.a).first<{ seq: number }>())!.seq).toBe(newest);
    expect((await me(b, 'DELETE')).status).toBe(200);
    const later = await browser();
    const events = await sendEvents(later, 2);
    await waitForRows('SELECT 1 FROM events WHERE anon_id = ?1', [later.a], 2);
    const page = (await (await api(`/api/v1/events?site_id=demo&cursor=${newest}&limit=1000`)).json()) as { events: { id: string }[] };
    expect(page.events.map((e) => e.id).sort()).toEqual(events.map((e) => e.i).sort());
  }, 20_000);

  it('DELETE erases this browser\'s data; the secret stops working; a late retry is dropped', async () => {
    const b = await browser();
    const events = await sendEvents(b, 2);
    await waitForRows('SELECT 1 FROM events WHERE anon_id = ?1', [b.a], 2);
    expect(await archived(b.a)).toBe(2);
    // An object from before the archive was compressed: plain NDJSON, with another visitor's line too.
    const legacy = `events/demo/2026/01/01/00/legacy-${b.a}.ndjson`;
    await env.ARCHIVE.put(legacy, `${JSON.stringify({ id: 'legacy-1', anon_id: b.a })}\n${JSON.stringify({ id: 'legacy-2', anon_id: 'someone-else' })}\n`);
    const res = await me(b, 'DELETE');
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).removed).toMatchObject({ events: 2, browser_secrets: 1, receipts_anonymized: 1, archive: { records_removed: 3 } });
    expect(await mentions([b.a])).toEqual([]);
    expect(await (await env.ARCHIVE.get(legacy))!.text()).toBe(`${JSON.stringify({ id: 'legacy-2', anon_id: 'someone-else' })}\n`);
    expect((await me(b)).status).toBe(401);
    // The same events retried (offline outbox) with the old, still-valid token: dropped.
    expect((await post('/v1/e', { s: 'demo', t: b.t, a: b.a, e: events })).status).toBe(202);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await mentions([b.a])).toEqual([]);
    // And the erased id can't be registered again.
    expect((await post('/v1/me', { s: 'demo', a: b.a, k: secretOf() })).status).toBe(410);
  }, 20_000);

  it('POST registers a fresh anonymous id once (first wins)', async () => {
    const a = id('anon');
    const k = secretOf();
    expect((await post('/v1/me', { s: 'demo', a, k })).status).toBe(201);
    expect((await post('/v1/me', { s: 'demo', a, k: secretOf() })).status).toBe(401);
    expect((await me({ a, k })).status).toBe(200);
    expect((await post('/v1/me', { s: 'demo', a, k: 'short' })).status).toBe(400);
  });
});

describe('DSAR API', () => {
  it('export covers every table; erasure of a user covers every linked device, D1 and R2, and reports it', async () => {
    const phone = await browser();
    const laptop = await browser();
    const user = id('cust');
    const token = toHex(await hmacSha256('dev-identity-secret', user));
    await sendEvents(phone, 2);
    await sendEvents(laptop, 1);
    for (const b of [phone, laptop]) expect((await post('/v1/identify', { s: 'demo', a: b.a, k: b.k, u: user, t: b.t, token, traits: { plan: 'pro', email: 'ada@example.com' } })).status).toBe(200);
    await sendEvents(laptop, 1, user);
    await waitForRows('SELECT 1 FROM events WHERE anon_id IN (?1, ?2)', [phone.a, laptop.a], 4);

    const exp = (await (await api(`/api/v1/subjects/${user}/export?site_id=demo&kind=user`)).json()) as any;
    expect(exp.subject).toEqual({ type: 'user', user_id: user, anonymous_ids: [phone.a, laptop.a] });
    expect(exp.events).toHaveLength(4);
    expect(exp.consent_receipts).toHaveLength(2);
    expect(exp.identity_links).toHaveLength(2);
    expect(exp.traits).toEqual({ plan: 'pro', email: 'ada@example.com' });
    expect(exp.browser_secrets).toHaveLength(2);

    const del = await api(`/api/v1/subjects/${user}?site_id=demo&kind=user`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(((await del.json()) as any).removed).toMatchObject({ events: 4, identity_links: 2, traits: 1, identify_attempts: 2, browser_secrets: 2, receipts_anonymized: 2, tombstones: 3 });
    expect(await mentions([phone.a, laptop.a, user])).toEqual([]);
    // Tombstones are hashes only.
    const tomb = await env.DB.prepare('SELECT subject, scope, reason FROM tombstones ORDER BY created_at DESC LIMIT 3').all();
    expect(tomb.results.every((t: any) => /^[0-9a-f]{64}$/.test(t.subject) && t.reason === 'erased')).toBe(true);
    // Late events from either device are dropped.
    await sendEvents(phone, 1);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await mentions([phone.a])).toEqual([]);
    // Nothing is stored about the user any more: a 404, not an empty export.
    expect((await api(`/api/v1/subjects/${user}/export?site_id=demo&kind=user`)).status).toBe(404);
    expect((await api(`/api/v1/subjects/${user}?site_id=other-site&kind=user`, { method: 'DELETE' })).status).toBe(404);
    expect((await SELF.fetch(`http://collector.test/api/v1/subjects/${user}?site_id=demo&kind=user`, { method: 'DELETE' })).status).toBe(401);
  }, 30_000);
});

describe('withdrawal at the edge', () => {
  it('after a receipt withdrawing analytics, events still carrying the old anonymous id are dropped', async () => {
    const b = await browser();
    await sendEvents(b, 1);
    await waitForRows('SELECT 1 FROM events WHERE anon_id = ?1', [b.a], 1);
    const withdraw = consentBody({ analytics: false, marketing: false, personalization: false }, { id: b.consentSecret, m: 'preferences' });
    expect((await post('/v1/consent', withdraw)).status).toBe(200);
    // Tombstoned in the same transaction as the receipt, before the answer.
    expect(await env.DB.prepare("SELECT count(*) AS n FROM tombstones WHERE reason = 'withdrawn' AND subject = ?1").bind(await subjectHash(b.a, 'anon')).first('n')).toBe(1);
    // Another tab still holds the old token (valid until it expires) and the old id.
    const late = await sendEvents(b, 2);
    await new Promise((r) => setTimeout(r, 2000));
    const { results } = await env.DB.prepare(`SELECT id FROM events WHERE id IN (?1, ?2)`).bind(late[0]!.i, late[1]!.i).all();
    expect(results).toEqual([]);
    // What was recorded before the withdrawal stays (withdrawal is not erasure).
    expect((await env.DB.prepare('SELECT count(*) AS n FROM events WHERE anon_id = ?1').bind(b.a).first<{ n: number }>())!.n).toBe(1);
  }, 20_000);
});

describe('retention', () => {
  it('deletes events, receipts and archive objects older than the site\'s periods, in batches, and keeps the rest', async () => {
    const site = CONFIG.sites.demo!;
    const now = Date.now();
    const old = now - (site.retention_days.events + 1) * 86_400_000;
    const oldReceipt = now - (site.retention_days.receipts + 1) * 86_400_000;
    const ids = Array.from({ length: 7 }, () => id('old'));
    const cols = "site_id, id, name, category, ts, received_at, url, path, consent";
    await env.DB.batch([
      ...ids.map((x) => env.DB.prepare(`INSERT INTO events (${cols}) VALUES ('demo', ?1, 'pageview', 'analytics', ?2, ?2, 'https://x/', '/', '[]')`).bind(x, old)),
      env.DB.prepare(`INSERT INTO events (${cols}) VALUES ('demo', ?1, 'pageview', 'analytics', ?2, ?2, 'https://x/', '/', '[]')`).bind('recent-kept-1', now),
      env.DB.prepare(`INSERT INTO consent_receipts (site_id, receipt_id, consent_id, granted, denied, policy_version, method, ts, received_at) VALUES ('demo', 'old-receipt-1', 'c-old-1', '[]', '[]', 'v', 'banner', ?1, ?1)`).bind(oldReceipt),
    ]);
    const oldKey = `events/demo/${new Date(old).toISOString().slice(0, 4)}/01/01/00/old.ndjson`;
    await env.ARCHIVE.put(oldKey, '{}\n');
    const recentKey = `events/demo/${new Date(now).toISOString().slice(0, 10).replaceAll('-', '/')}/00/recent-kept.ndjson`;
    await env.ARCHIVE.put(recentKey, '{}\n');
    // Parquet partitions go whole, by their day: the day before the cutoff's, not the cutoff's own.
    const row = { site_id: 'demo', id: 'r-1', name: 'pageview', custom: 0, category: 'analytics', ts: now, received_at: now, url: 'https://x/', path: '/', bot: 0, cookieless: 0, consent: 'analytics', sent_from: 'browser' } as never;
    const oldPart = objectKey('demo', utcDate(now - (site.retention_days.archive + 1) * 86_400_000), 'p-retention-old');
    const keptPart = objectKey('demo', utcDate(now - site.retention_days.archive * 86_400_000), 'p-retention-kept');
    for (const k of [oldPart, keptPart]) await putParquet(env.ARCHIVE, k, [row]);
    const report = await enforceSite(env, site, now, 3, 10);
    expect(report).toMatchObject({ site: 'demo', events: 7, receipts: 1, complete: true });
    expect(report.archive_objects).toBeGreaterThanOrEqual(1);
    expect(await env.ARCHIVE.head(oldKey)).toBeNull();
    expect(await env.ARCHIVE.head(recentKey)).not.toBeNull();
    expect(await env.ARCHIVE.head(oldPart)).toBeNull();
    expect(await env.ARCHIVE.head(keptPart)).not.toBeNull();
    await env.ARCHIVE.delete(keptPart);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM events WHERE id = 'recent-kept-1'").first<{ n: number }>())!.n).toBe(1);
    // Too little room in one run: reports incomplete; the next run finishes.
    await env.DB.batch(ids.map((x) => env.DB.prepare(`INSERT INTO events (${cols}) VALUES ('demo', ?1, 'pageview', 'analytics', ?2, ?2, 'https://x/', '/', '[]')`).bind(x, old)));
    expect(await enforceSite(env, site, now, 2, 2)).toMatchObject({ events: 4, complete: false });
    expect(await enforceSite(env, site, now, 2, 10)).toMatchObject({ events: 3, complete: true });
  });
});

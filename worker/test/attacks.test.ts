import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { hmacSha256, toHex } from '../src/crypto/hmac';
import { publicConsentId } from '../src/consent/record';
import { subjectHash } from '../src/privacy/tombstones';
import { browserSecret, claimsOf, consentBody, consentedBrowser, event, id, post, settle, waitForRows } from './helpers';

/**
 * Identifiers are not keys. Each test is an attack by someone who has seen a visitor's anonymous id,
 * consent id or user id (in an export, a destination's payload, a token, a log line) and tries to act
 * as that visitor through the public endpoints.
 */
const ADMIN = { authorization: 'Bearer dev-admin-key' };
const api = (path: string, init: RequestInit = {}) => SELF.fetch(`http://collector.test${path}`, { ...init, headers: { ...ADMIN, ...(init.headers ?? {}) } });
const identityToken = async (user: string) => toHex(await hmacSha256('dev-identity-secret', user));
const me = (b: { a: string; k: string }, method = 'GET', site = 'demo') =>
  SELF.fetch(`http://collector.test/v1/me?s=${site}`, { method, headers: { authorization: `Bearer ${b.a}.${b.k}`, origin: 'http://127.0.0.1:8787' } });
const count = async (sql: string, ...binds: unknown[]) => (await env.DB.prepare(sql).bind(...binds).first<{ n: number }>())!.n;

async function browse(b: { a: string; t: string; site?: string }, n = 2, over: Partial<ReturnType<typeof event>> = {}) {
  const events = Array.from({ length: n }, (_, i) => event({ u: `https://shop.example/p-${i}`, ...over }));
  expect((await post('/v1/e', { s: b.site ?? 'demo', t: b.t, a: b.a, ss: id('sess'), e: events })).status).toBe(202);
  await waitForRows('SELECT 1 FROM events WHERE id IN (SELECT value FROM json_each(?1))', [JSON.stringify(events.map((e) => e.i))], n);
  return events;
}

describe('1. linking someone else\'s browser to my account', () => {
  it('needs the victim\'s browser secret: my own consent and identity tokens are not enough', async () => {
    const victim = await consentedBrowser();
    await browse(victim, 3);
    const me_ = await consentedBrowser();
    const mallory = id('mallory');
    const attack = { s: 'demo', a: victim.a, u: mallory, t: me_.t, token: await identityToken(mallory) };

    const withMine = await post('/v1/identify', { ...attack, k: me_.k });
    expect(withMine.status).toBe(401);
    expect(((await withMine.json()) as any).error).toMatchObject({ code: 'wrong_browser_secret', field: 'k' });
    expect((await post('/v1/identify', attack)).status).toBe(400); // no secret at all
    expect(await count('SELECT count(*) AS n FROM identity_links WHERE anon_id = ?1', victim.a)).toBe(0);
    // Nothing was recorded under the victim's id either: its identify rate limit is untouched.
    expect(await count('SELECT count(*) AS n FROM identify_attempts WHERE anon_id = ?1', victim.a)).toBe(0);

    // My export and profile hold none of the victim's history; the victim's own login still works.
    expect((await api(`/api/v1/subjects/${mallory}/export?site_id=demo&kind=user`)).status).toBe(404);
    const alice = id('alice');
    const own = await post('/v1/identify', { s: 'demo', a: victim.a, k: victim.k, u: alice, t: victim.t, token: await identityToken(alice) });
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({ linked: true, created: true });
  }, 20_000);
});

describe('2. claiming an anonymous id that has data but no secret', () => {
  it('is refused: only proof bound to the id before its data can claim it', async () => {
    // Events under an id whose secret never reached the collector (an old snippet, a lost registration).
    const b = await consentedBrowser({ analytics: true, marketing: false, personalization: false });
    const orphan = id('orphan');
    await browse({ a: orphan, t: b.t }, 2);
    const mine = browserSecret();
    const claim = await post('/v1/me', { s: 'demo', a: orphan, k: mine });
    expect(claim.status).toBe(410);
    expect(((await claim.json()) as any).error.code).toBe('unclaimable');
    expect((await me({ a: orphan, k: mine })).status).toBe(401);
    // Nor through a receipt or an identify naming it.
    expect((await post('/v1/consent', consentBody({ analytics: true }, { a: orphan, k: mine }))).status).toBe(410);
    expect((await post('/v1/identify', { s: 'demo', a: orphan, k: mine, u: 'x-1', t: b.t, token: await identityToken('x-1') })).status).toBe(410);
    expect(await count('SELECT count(*) AS n FROM browser_secrets WHERE anon_id = ?1', orphan)).toBe(0);

    // A new id with no data is claimed by its first registration, and by nobody after.
    const fresh = id('fresh');
    expect((await post('/v1/me', { s: 'demo', a: fresh, k: mine })).status).toBe(201);
    expect((await post('/v1/me', { s: 'demo', a: fresh, k: mine })).status).toBe(200);
    expect((await post('/v1/me', { s: 'demo', a: fresh, k: browserSecret() })).status).toBe(401);
  }, 20_000);
});

describe('3. consent receipts in someone else\'s name', () => {
  it('a receipt naming the victim\'s anonymous id needs its secret; granting then withdrawing does not touch the victim', async () => {
    const victim = await consentedBrowser();
    await browse(victim, 1);
    const mine = browserSecret();
    const grant = await post('/v1/consent', consentBody({ analytics: true, marketing: false, personalization: false }, { a: victim.a, k: mine }));
    expect(grant.status).toBe(401);
    const secretOfMine = consentBody({}).id;
    const withdraw = consentBody({ analytics: false, marketing: false, personalization: false }, { id: secretOfMine });
    expect((await post('/v1/consent', withdraw)).status).toBe(200);
    // The victim is still collected, and its export holds only its own receipt.
    const later = await browse(victim, 2);
    expect(await count('SELECT count(*) AS n FROM tombstones WHERE subject = ?1', await subjectHash(victim.a, 'anon'))).toBe(0);
    const data = (await (await me(victim)).json()) as any;
    expect(data.events.map((e: any) => e.id)).toEqual(expect.arrayContaining(later.map((e) => e.i)));
    expect(data.consent_receipts).toEqual([expect.objectContaining({ consent_id: await publicConsentId(victim.consentSecret), anon_id: victim.a })]);
  }, 20_000);

  it('the public consent id (in every token, receipt and export) can\'t be used to post under it', async () => {
    const victim = await consentedBrowser();
    await browse(victim, 1);
    const seen = claimsOf(victim.t).c; // what anyone who sees the token reads
    expect(seen).toBe(await publicConsentId(victim.consentSecret));
    expect(seen).not.toBe(victim.consentSecret);
    const attacker = await consentedBrowser();
    // Posting under the seen id is posting under another consent id: the victim's consent is untouched.
    expect((await post('/v1/consent', consentBody({ analytics: false }, { id: seen.padEnd(32, '0') }))).status).toBe(200);
    expect((await post('/v1/consent', consentBody({ analytics: true }, { id: seen.padEnd(32, '0'), a: attacker.a, k: attacker.k }))).status).toBe(200);
    const later = await browse(victim, 1);
    expect(later).toHaveLength(1);
    const mineExport = (await (await me(attacker)).json()) as any;
    expect(JSON.stringify(mineExport)).not.toContain(victim.a);
    const victimExport = (await (await me(victim)).json()) as any;
    expect(JSON.stringify(victimExport)).not.toContain(attacker.a);
    expect(victimExport.consent_receipts.every((r: any) => r.consent_id === seen)).toBe(true);
  }, 20_000);
});

describe('4. a token issued before a narrower decision', () => {
  it('stores no event of a withdrawn category once the new receipt was answered', async () => {
    const b = await consentedBrowser({ analytics: true, marketing: true, personalization: false });
    const before = await browse(b, 1, { c: 'marketing', n: 'ad_view' });
    expect(before).toHaveLength(1); // the old token stores marketing while it is the latest decision
    const narrower = consentBody({ analytics: true, marketing: false, personalization: false }, { id: b.consentSecret, m: 'preferences', a: b.a, k: b.k });
    expect((await post('/v1/consent', narrower)).status).toBe(200);

    const late = [event({ c: 'marketing', n: 'ad_view' }), event({ c: 'analytics' })];
    expect((await post('/v1/e', { s: 'demo', t: b.t, a: b.a, ss: id('sess'), e: late })).status).toBe(202);
    await waitForRows('SELECT 1 FROM events WHERE id = ?1', [late[1]!.i], 1);
    await settle(1000);
    expect(await count('SELECT count(*) AS n FROM events WHERE id = ?1', late[0]!.i)).toBe(0);
    expect(await count("SELECT coalesce(sum(n), 0) AS n FROM ingest_counts WHERE name = 'dropped_withdrawn_marketing' AND site_id = 'demo'")).toBeGreaterThan(0);
  }, 20_000);

  it('binds the anonymous id, not only the token: my own token stores nothing the victim withdrew under their id', async () => {
    const victim = await consentedBrowser({ analytics: true, marketing: true, personalization: false });
    const narrower = consentBody({ analytics: true, marketing: false, personalization: false }, { id: victim.consentSecret, m: 'preferences', a: victim.a, k: victim.k });
    expect((await post('/v1/consent', narrower)).status).toBe(200);
    // Mallory's own browser grants everything; its valid token carries the victim's anonymous id.
    const mallory = await consentedBrowser({ analytics: true, marketing: true, personalization: true });
    const forged = [event({ c: 'marketing', n: 'ad_view' }), event({ c: 'analytics', n: 'forged_view' })];
    expect((await post('/v1/e', { s: 'demo', t: mallory.t, a: victim.a, ss: id('sess'), e: forged })).status).toBe(202);
    // Mallory's own id keeps what Mallory granted: the rule binds the victim's id only.
    const own = [event({ c: 'marketing', n: 'ad_view' })];
    expect((await post('/v1/e', { s: 'demo', t: mallory.t, a: mallory.a, ss: id('sess'), e: own })).status).toBe(202);
    await waitForRows('SELECT 1 FROM events WHERE id IN (?1, ?2)', [forged[1]!.i, own[0]!.i], 2);
    await settle(1000);
    expect(await count('SELECT count(*) AS n FROM events WHERE id = ?1', forged[0]!.i)).toBe(0);
    expect(await count("SELECT count(*) AS n FROM events WHERE anon_id = ?1 AND category = 'marketing'", victim.a)).toBe(0);
  }, 20_000);
});

describe('5. an erased subject stays dead', () => {
  it('a late identify or receipt with the erased anonymous id is refused with 410 and re-creates nothing', async () => {
    const b = await consentedBrowser();
    await browse(b, 2);
    const del = await api(`/api/v1/subjects/${b.a}?site_id=demo&kind=anonymous`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    const user = id('cust');
    const late = await post('/v1/identify', { s: 'demo', a: b.a, k: b.k, u: user, t: b.t, token: await identityToken(user), traits: { email: 'a@b.example' } });
    expect(late.status).toBe(410);
    expect(((await late.json()) as any).error).toMatchObject({ code: 'erased', field: 'a' });
    const receipt = await post('/v1/consent', consentBody({ analytics: true }, { id: b.consentSecret, a: b.a, k: b.k }));
    expect(receipt.status).toBe(410);
    expect(await count('SELECT count(*) AS n FROM identity_links WHERE anon_id = ?1', b.a)).toBe(0);
    expect(await count('SELECT count(*) AS n FROM user_traits WHERE user_id = ?1', user)).toBe(0);
    expect(await count('SELECT count(*) AS n FROM identify_attempts WHERE anon_id = ?1 OR user_id = ?2', b.a, user)).toBe(0);
    expect(await count('SELECT count(*) AS n FROM consent_receipts WHERE anon_id = ?1', b.a)).toBe(0);
    expect(await count('SELECT count(*) AS n FROM browser_secrets WHERE anon_id = ?1', b.a)).toBe(0);
  }, 20_000);

  it('an erased user id is never linked again', async () => {
    const b = await consentedBrowser();
    const user = id('cust');
    expect((await post('/v1/identify', { s: 'demo', a: b.a, k: b.k, u: user, t: b.t, token: await identityToken(user) })).status).toBe(200);
    expect((await api(`/api/v1/subjects/${user}?site_id=demo&kind=user`, { method: 'DELETE' })).status).toBe(200);
    const other = await consentedBrowser();
    const again = await post('/v1/identify', { s: 'demo', a: other.a, k: other.k, u: user, t: other.t, token: await identityToken(user) });
    expect(again.status).toBe(403);
    expect(((await again.json()) as any).error.code).toBe('user_erased');
    expect(await count('SELECT count(*) AS n FROM identity_links WHERE user_id = ?1', user)).toBe(0);
  }, 20_000);
});

describe('6. pointing erasure at the wrong subject', () => {
  it('the kind of id is explicit: a user id named like someone\'s anonymous id never stands for that browser', async () => {
    // A site without an identity secret: anyone can name any user id.
    const victim = await consentedBrowser(undefined, 'demo-cookieless');
    const victimEvents = await browse(victim, 2);
    const attacker = await consentedBrowser(undefined, 'demo-cookieless');
    await browse(attacker, 1);
    expect((await post('/v1/identify', { s: 'demo-cookieless', a: attacker.a, k: attacker.k, u: victim.a, t: attacker.t })).status).toBe(200);

    expect((await api(`/api/v1/subjects/${victim.a}?site_id=demo-cookieless`, { method: 'DELETE' })).status).toBe(400);
    const exported = (await (await api(`/api/v1/subjects/${victim.a}/export?site_id=demo-cookieless&kind=anonymous`)).json()) as any;
    expect(exported.subject).toEqual({ type: 'anonymous', anonymous_id: victim.a });
    expect(exported.events.map((e: any) => e.id).sort()).toEqual(victimEvents.map((e) => e.i).sort());
    const del = await api(`/api/v1/subjects/${victim.a}?site_id=demo-cookieless&kind=anonymous`, { method: 'DELETE' });
    expect(((await del.json()) as any).removed.events).toBe(2);
    expect(await count('SELECT count(*) AS n FROM events WHERE anon_id = ?1', victim.a)).toBe(0);
    expect(await count('SELECT count(*) AS n FROM events WHERE anon_id = ?1', attacker.a)).toBe(1);
  }, 20_000);

  it('a subject with nothing stored is a 404 and leaves no tombstone', async () => {
    const typo = id('typo');
    for (const kind of ['user', 'anonymous']) {
      const del = await api(`/api/v1/subjects/${typo}?site_id=demo&kind=${kind}`, { method: 'DELETE' });
      expect(del.status).toBe(404);
      expect(((await del.json()) as any).error.code).toBe('unknown_subject');
      expect((await api(`/api/v1/subjects/${typo}/export?site_id=demo&kind=${kind}`)).status).toBe(404);
    }
    for (const scope of ['anon', 'user'] as const) expect(await count('SELECT count(*) AS n FROM tombstones WHERE subject = ?1', await subjectHash(typo, scope))).toBe(0);
    expect((await api(`/api/v1/subjects/${typo}?site_id=demo&kind=person`, { method: 'DELETE' })).status).toBe(400);
  });
});

describe('7. reusing a receipt id', () => {
  it('with other content is a 409 and issues no token; the same content is answered as the first time', async () => {
    const first = consentBody({ analytics: false, marketing: false, personalization: false });
    const r1 = await post('/v1/consent', first);
    expect(r1.status).toBe(200);
    const broader = await post('/v1/consent', { ...first, g: { analytics: true, marketing: true, personalization: true } });
    expect(broader.status).toBe(409);
    const body = (await broader.json()) as any;
    expect(body.error).toMatchObject({ code: 'receipt_conflict', field: 'ri' });
    expect(body.token).toBeUndefined();
    const retry = await post('/v1/consent', first);
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as any).granted).toEqual([]);
    expect(await count('SELECT count(*) AS n FROM consent_receipts WHERE receipt_id = ?1', first.ri)).toBe(1);
  });
});

import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { hmacSha256, toHex } from '../src/crypto/hmac';
import { consentedBrowser, event, id, post, settle, waitForRows } from './helpers';
import { basic, batch, call, count, createWriteKey, segment, storedCalls } from './segment-helpers';

/**
 * Identifiers are not keys, on the server-side API too. Each test is an attack by someone holding something short of
 * the site's own server write key — another site's key, an API key, a browser key, a user id or anonymous id seen
 * somewhere — or by a sender replaying what it saw; none may write, read, link or revive what isn't theirs.
 */
const ADMIN = { authorization: 'Bearer dev-admin-key' };
const api = (path: string, init: RequestInit = {}) => SELF.fetch(`http://collector.test${path}`, { ...init, headers: { ...ADMIN, ...(init.headers ?? {}) } });
const identityToken = async (user: string) => toHex(await hmacSha256('dev-identity-secret', user));

/** A browser that logged in through the snippet (tp.identify) and browsed: its history and link exist. */
async function loggedIn() {
  const b = await consentedBrowser();
  const user = id('cust');
  const events = [event({ u: 'https://shop.example/a' }), event({ u: 'https://shop.example/b' })];
  expect((await post('/v1/e', { s: 'demo', t: b.t, a: b.a, ss: id('sess'), e: events })).status).toBe(202);
  expect((await post('/v1/identify', { s: 'demo', a: b.a, k: b.k, u: user, t: b.t, token: await identityToken(user) })).status).toBe(200);
  await waitForRows('SELECT 1 FROM events WHERE anon_id = ?1', [b.a], 2);
  return { ...b, user };
}

describe('1. another site\'s write key', () => {
  it('writes only to its own site: a demo visitor\'s ids named under it reach nothing of demo', async () => {
    const victim = await loggedIn();
    const otherKey = await createWriteKey('demo-cookieless');
    const declared = { consent: { categoryPreferences: { analytics: true } } };
    const calls = [
      call({ anonymousId: victim.a, context: declared }),
      call({ type: 'identify', userId: id('mallory'), anonymousId: victim.a, context: declared }),
      call({ type: 'alias', previousId: victim.a, userId: id('mallory'), context: declared }),
    ];
    await batch(calls, { key: otherKey });
    await settle(1500);
    expect(await count("SELECT count(*) AS n FROM events WHERE site_id = 'demo' AND sent_from = 'server' AND anon_id = ?1", victim.a)).toBe(0);
    expect(await count("SELECT count(*) AS n FROM identity_links WHERE site_id = 'demo' AND anon_id = ?1", victim.a)).toBe(1);
    expect(await count("SELECT count(*) AS n FROM identity_links WHERE site_id = 'demo' AND anon_id = ?1 AND user_id = ?2", victim.a, victim.user)).toBe(1);
    // What it wrote lives under its own site only.
    expect(await count("SELECT count(*) AS n FROM events WHERE site_id = 'demo-cookieless' AND id = ?1", `s:${calls[0]!.messageId}`)).toBe(1);
  });
});

describe('2. an API key used to write, a write key used to read', () => {
  it('API keys (the admin key too) are not write keys: 401 on /segment/*', async () => {
    const apiKey = `tp_${crypto.randomUUID().replaceAll('-', '')}`;
    const c = call({ anonymousId: id('anon') });
    for (const key of ['dev-admin-key', apiKey]) {
      expect((await segment('/segment/v1/batch', { batch: [c] }, { key })).status).toBe(401);
      expect((await segment('/segment/v1/track', { ...c, writeKey: key }, { key: null })).status).toBe(401);
    }
  });

  it('write keys are not API keys: 401 on /api/v1/*, however they are sent', async () => {
    const issued = await createWriteKey('demo');
    for (const key of ['dev-write-key', issued]) {
      for (const authorization of [`Bearer ${key}`, basic(key)]) {
        const res = await SELF.fetch('http://collector.test/api/v1/events?site_id=demo', { headers: { authorization } });
        expect(res.status).toBe(401);
        const q = await SELF.fetch('http://collector.test/api/v1/query', { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify({ site_id: 'demo', metrics: ['visitors'], date_range: '7d' }) });
        expect(q.status).toBe(401);
      }
    }
  });
});

describe('3. a user id claim used to pull another user\'s devices', () => {
  it('identify, alias or track naming my user with your browser\'s id: refused, the link stays yours', async () => {
    const victim = await loggedIn();
    const me = await loggedIn(); // a user with consent on record of their own
    const mallory = me.user;
    const answer = await batch([
      call({ type: 'identify', userId: mallory, anonymousId: victim.a, traits: { plan: 'evil' } }),
      call({ type: 'alias', previousId: victim.a, userId: mallory }),
      call({ userId: mallory, anonymousId: victim.a }),
    ], { status: 400 });
    expect(answer.rejected.map((r) => [r.code, r.field])).toEqual([
      ['anon_linked_to_other_user', 'batch.0.anonymousId'],
      ['anon_linked_to_other_user', 'batch.1.previousId'],
      ['anon_linked_to_other_user', 'batch.2.anonymousId'],
    ]);
    expect(await count('SELECT count(*) AS n FROM identity_links WHERE anon_id = ?1 AND user_id = ?2', victim.a, victim.user)).toBe(1);
    expect(await count('SELECT count(*) AS n FROM user_traits WHERE user_id = ?1', mallory)).toBe(0);
    // An event about my own user id stays mine: the victim's history is not in my profile.
    const own = call({ userId: mallory });
    await batch([own]);
    await storedCalls([own.messageId as string]);
    const profile = (await (await api(`/api/v1/profiles/${mallory}?site_id=demo`)).json()) as { anonymous_ids: { id: string }[]; timeline: { events: { id: string; anon_id: string | null }[] } };
    expect(profile.anonymous_ids.map((l) => l.id)).toEqual([me.a]);
    expect(profile.timeline.events.map((e) => e.id)).toContain(`s:${own.messageId}`);
    expect(profile.timeline.events.some((e) => e.anon_id === victim.a)).toBe(false);
  });

  it('a browser key\'s user ids are ignored: it can\'t attribute events to anyone', async () => {
    const victim = await loggedIn();
    const key = await createWriteKey('demo', 'browser');
    const c = call({ userId: victim.user });
    const res = await segment('/v1/t', { ...c, writeKey: key }, { key: null, headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(400); // no anonymous id left once the claimed user id is set aside
    await settle(1000);
    expect(await count('SELECT count(*) AS n FROM events WHERE id = ?1', `s:${c.messageId}`)).toBe(0);
  });
});

describe('4. an erased subject stays dead for server events', () => {
  it('an erased anonymous id: every call naming it is dropped, nothing linked, nothing recorded under it', async () => {
    const b = await consentedBrowser();
    await batch([call({ anonymousId: b.a })]);
    await waitForRows('SELECT 1 FROM events WHERE anon_id = ?1', [b.a], 1);
    expect((await api(`/api/v1/subjects/${b.a}?site_id=demo&kind=anonymous`, { method: 'DELETE' })).status).toBe(200);
    const user = id('cust');
    const answer = await batch([
      call({ anonymousId: b.a }),
      call({ type: 'identify', userId: user, anonymousId: b.a, traits: { plan: 'pro' } }),
      call({ type: 'alias', previousId: b.a, userId: user }),
      call({ type: 'page', anonymousId: b.a, properties: { category: 'necessary' } }),
    ]);
    expect(answer).toMatchObject({ accepted: 0, dropped: 4, dropped_reasons: { erased: 4 } });
    await settle(1500);
    expect(await count('SELECT count(*) AS n FROM events WHERE anon_id = ?1', b.a)).toBe(0);
    expect(await count('SELECT count(*) AS n FROM identity_links WHERE anon_id = ?1 OR user_id = ?2', b.a, user)).toBe(0);
    expect(await count('SELECT count(*) AS n FROM identify_attempts WHERE anon_id = ?1 OR user_id = ?2', b.a, user)).toBe(0);
    expect(await count('SELECT count(*) AS n FROM user_traits WHERE user_id = ?1', user)).toBe(0);
  });

  it('an erased user id: its events, identifies and aliases are dropped; it is never linked again', async () => {
    const victim = await loggedIn();
    expect((await api(`/api/v1/subjects/${victim.user}?site_id=demo&kind=user`, { method: 'DELETE' })).status).toBe(200);
    const fresh = await consentedBrowser();
    const answer = await batch([
      call({ userId: victim.user }),
      call({ type: 'identify', userId: victim.user, anonymousId: fresh.a }),
      call({ type: 'alias', previousId: fresh.a, userId: victim.user }),
    ]);
    expect(answer.dropped_reasons).toEqual({ erased: 3 });
    await settle(1500);
    expect(await count('SELECT count(*) AS n FROM events WHERE user_id = ?1', victim.user)).toBe(0);
    expect(await count('SELECT count(*) AS n FROM identity_links WHERE user_id = ?1', victim.user)).toBe(0);
  });
});

describe('5. replaying a batch', () => {
  it('stores nothing twice, links nothing twice, spends no identify rate', async () => {
    const b = await consentedBrowser();
    const user = id('cust');
    const calls = [call({ type: 'identify', userId: user, anonymousId: b.a, traits: { plan: 'pro' } }), call({ anonymousId: b.a }), call({ userId: user })];
    for (let i = 0; i < 3; i++) await batch(calls);
    await storedCalls(calls.map((c) => c.messageId as string));
    await settle(1500);
    expect(await count('SELECT count(*) AS n FROM events WHERE id IN (?1, ?2, ?3)', ...calls.map((c) => `s:${c.messageId}`))).toBe(3);
    expect(await count('SELECT count(*) AS n FROM identity_links WHERE anon_id = ?1', b.a)).toBe(1);
    expect(await count('SELECT count(*) AS n FROM identify_attempts WHERE anon_id = ?1', b.a)).toBe(1);
  });
});

import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { hmacSha256, toHex } from '../src/crypto/hmac';
import { LINK_LIMITS } from '../src/identity/rules';
import { browserSecret, consentToken, event, id, post, waitForRows } from './helpers';

const SECRET = 'dev-identity-secret';
const sign = async (userId: string) => toHex(await hmacSha256(SECRET, userId));

async function identify(body: Record<string, unknown>) {
  const res = await post('/v1/identify', body);
  return { status: res.status, body: (await res.json()) as any };
}
/** A browser with analytics consent: its anonymous id and consent token. */
async function browser(site = 'demo') {
  const a = id('anon');
  const k = browserSecret();
  const t = await consentToken({ analytics: true, marketing: false, personalization: false }, { s: site, a, k });
  return { a, k, t, site };
}
const profile = async (userId: string, query = '') => {
  const res = await SELF.fetch(`http://collector.test/api/v1/profiles/${encodeURIComponent(userId)}?site_id=demo${query}`, { headers: { authorization: 'Bearer dev-admin-key' } });
  return { status: res.status, body: (await res.json()) as any };
};
const links = (anon: string) => env.DB.prepare('SELECT user_id, verified FROM identity_links WHERE anon_id = ?1').bind(anon).all();
async function send(b: { a: string; t: string; site: string }, events: ReturnType<typeof event>[], u?: string) {
  const res = await post('/v1/e', { s: b.site, t: b.t, a: b.a, ss: id('sess'), ...(u ? { u } : {}), e: events });
  expect(res.status).toBe(202);
}

describe('POST /v1/identify', () => {
  it('links with a valid token: verified, personal traits only when the site allows them', async () => {
    const b = await browser();
    const user = id('cust');
    const r = await identify({ s: 'demo', a: b.a, k: b.k, u: user, t: b.t, token: await sign(user), traits: { plan: 'pro', email: 'ada@example.com', phone: '+49 30 1234' } });
    expect(r).toEqual({ status: 200, body: { linked: true, created: true, verified: true, traits_stored: true, refused_traits: ['phone'] } });
    const p = await profile(user);
    expect(p.body.anonymous_ids).toEqual([expect.objectContaining({ id: b.a, verified: true, method: 'identify' })]);
    expect(p.body.traits).toEqual({ plan: 'pro', email: 'ada@example.com' });
    // Latest wins per trait.
    await identify({ s: 'demo', a: b.a, k: b.k, u: user, t: b.t, token: await sign(user), traits: { plan: 'enterprise' } });
    expect((await profile(user)).body.traits).toEqual({ plan: 'enterprise', email: 'ada@example.com' });
  });

  it('refuses a wrong token and a missing one (the site has a secret), links nothing, counts the refusal', async () => {
    const b = await browser();
    const user = id('cust');
    expect(await identify({ s: 'demo', a: b.a, k: b.k, u: user, t: b.t, token: await sign('someone-else') })).toMatchObject({ status: 401, body: { error: { code: 'invalid_identity_token', field: 'token' } } });
    expect(await identify({ s: 'demo', a: b.a, k: b.k, u: user, t: b.t, token: 'zz' })).toMatchObject({ status: 401, body: { error: { code: 'invalid_identity_token' } } });
    expect(await identify({ s: 'demo', a: b.a, k: b.k, u: user, t: b.t })).toMatchObject({ status: 401, body: { error: { code: 'identity_token_required' } } });
    expect((await links(b.a)).results).toEqual([]);
    const counted = await env.DB.prepare("SELECT outcome, count(*) AS n FROM identify_attempts WHERE anon_id = ?1 GROUP BY outcome ORDER BY outcome").bind(b.a).all();
    expect(counted.results).toEqual([
      { outcome: 'refused_identity_token_required', n: 1 },
      { outcome: 'refused_invalid_identity_token', n: 2 },
    ]);
    expect((await profile(user)).status).toBe(404);
  });

  it('refuses illegal user ids', async () => {
    const b = await browser();
    for (const u of ['null', 'undefined', '0', 'anonymous', 'guest', '[object Object]', ' padded', 'x'.repeat(300)]) {
      const r = await identify({ s: 'demo', a: b.a, k: b.k, u, t: b.t, token: await sign(u) });
      expect(r.status, u).toBe(400);
      expect(r.body.error.field, u).toBe('u');
    }
    expect((await links(b.a)).results).toEqual([]);
  });

  it('needs analytics consent: without it (or with a forged token) nothing is linked', async () => {
    const a = id('anon');
    const k = browserSecret();
    const user = id('cust');
    const denied = await consentToken({ analytics: false, marketing: true, personalization: false });
    expect(await identify({ s: 'demo', a, k, u: user, t: denied, token: await sign(user) })).toMatchObject({ status: 403, body: { error: { code: 'no_consent' } } });
    expect(await identify({ s: 'demo', a, k, u: user, token: await sign(user) })).toMatchObject({ status: 403 });
    expect(await identify({ s: 'demo', a, k, u: user, t: denied.slice(0, -4) + 'AAAA', token: await sign(user) })).toMatchObject({ status: 403 });
    expect((await links(a)).results).toEqual([]);
    // Nothing about this browser was written without consent, not even its secret.
    expect(await env.DB.prepare('SELECT 1 FROM browser_secrets WHERE anon_id = ?1').bind(a).first()).toBeNull();
  });

  it('never relinks an anonymous id to another user; two devices of one user are both linked', async () => {
    const phone = await browser();
    const laptop = await browser();
    const alice = id('alice');
    const mallory = id('mallory');
    expect((await identify({ s: 'demo', a: phone.a, k: phone.k, u: alice, t: phone.t, token: await sign(alice) })).status).toBe(200);
    expect((await identify({ s: 'demo', a: laptop.a, k: laptop.k, u: alice, t: laptop.t, token: await sign(alice) })).status).toBe(200);
    // Identifying again as the same user is fine and idempotent.
    expect((await identify({ s: 'demo', a: phone.a, k: phone.k, u: alice, t: phone.t, token: await sign(alice) })).body).toMatchObject({ linked: true, created: false });
    // Another (validly signed) user from Alice's anonymous id: refused, Alice keeps her history.
    expect(await identify({ s: 'demo', a: phone.a, k: phone.k, u: mallory, t: phone.t, token: await sign(mallory) })).toMatchObject({ status: 409, body: { error: { code: 'anon_linked_to_other_user' } } });
    expect((await links(phone.a)).results).toEqual([{ user_id: alice, verified: 1 }]);
    expect((await profile(alice)).body.anonymous_ids.map((x: any) => x.id).sort()).toEqual([phone.a, laptop.a].sort());
    expect((await profile(mallory)).status).toBe(404);
  });

  it('pre-login events are attributed to the user at query time; later ones carry the user id; a forged user claim is not', async () => {
    const b = await browser();
    const user = id('cust');
    const before = [event({ u: 'https://shop.example/' }), event({ u: 'https://shop.example/pricing' })];
    await send(b, before);
    await waitForRows('SELECT id FROM events WHERE anon_id = ?1', [b.a], 2);
    expect((await identify({ s: 'demo', a: b.a, k: b.k, u: user, t: b.t, token: await sign(user) })).status).toBe(200);
    const after = event({ u: 'https://shop.example/account' });
    await send(b, [after], user);
    const rows = await waitForRows<{ id: string; user_id: string | null }>('SELECT id, user_id FROM events WHERE anon_id = ?1 ORDER BY ts', [b.a], 3);
    // Stored history is not rewritten: the pre-login rows keep user_id null.
    expect(rows.find((r) => r.id === before[0]!.i)!.user_id).toBeNull();
    expect(rows.find((r) => r.id === after.i)!.user_id).toBe(user);

    const p = await profile(user);
    expect(p.body.timeline.events.map((e: any) => [e.path, e.stitched, e.user_id])).toEqual([
      ['/', true, user],
      ['/pricing', true, user],
      ['/account', false, user],
    ]);
    expect(p.body.event_count).toBe(3);
    expect(p.body.first_seen).toBe(new Date(before[0]!.ts).toISOString());

    // Someone else's browser claiming to be this user: stored without a user.
    const other = await browser();
    const forged = event({ u: 'https://shop.example/forged' });
    await send(other, [forged], user);
    const [row] = await waitForRows<{ user_id: string | null }>('SELECT user_id FROM events WHERE id = ?1', [forged.i], 1);
    expect(row!.user_id).toBeNull();
    expect((await profile(user)).body.event_count).toBe(3);
  }, 20_000);

  it('logout then another user on the same device: the new anonymous id belongs to the new user only', async () => {
    const first = await browser();
    const alice = id('alice');
    const bob = id('bob');
    await identify({ s: 'demo', a: first.a, k: first.k, u: alice, t: first.t, token: await sign(alice) });
    await send(first, [event({ u: 'https://shop.example/alice-page' })], alice);
    // tp.reset(): a fresh anonymous id (and its consent receipt) on the same browser.
    const second = await browser();
    await send(second, [event({ u: 'https://shop.example/anonymous-after-logout' })]);
    await identify({ s: 'demo', a: second.a, k: second.k, u: bob, t: second.t, token: await sign(bob) });
    await send(second, [event({ u: 'https://shop.example/bob-page' })], bob);
    await waitForRows('SELECT id FROM events WHERE anon_id IN (?1, ?2)', [first.a, second.a], 4);
    const paths = async (u: string) => (await profile(u)).body.timeline.events.map((e: any) => e.path);
    expect(await paths(alice)).toEqual(['/alice-page']);
    expect(await paths(bob)).toEqual(['/anonymous-after-logout', '/bob-page']);
  }, 20_000);

  it('profiles timeline pages with a cursor', async () => {
    const b = await browser();
    const user = id('cust');
    const t0 = Date.now() - 60_000;
    await send(b, Array.from({ length: 5 }, (_, i) => event({ ts: t0 + i * 1000, u: `https://shop.example/p${i}` })));
    await identify({ s: 'demo', a: b.a, k: b.k, u: user, t: b.t, token: await sign(user) });
    await waitForRows('SELECT id FROM events WHERE anon_id = ?1', [b.a], 5);
    const p1 = await profile(user, '&limit=2');
    const p2 = await profile(user, `&limit=2&cursor=${p1.body.timeline.next_cursor}`);
    const p3 = await profile(user, `&limit=2&cursor=${p2.body.timeline.next_cursor}`);
    expect([...p1.body.timeline.events, ...p2.body.timeline.events, ...p3.body.timeline.events].map((e: any) => e.path)).toEqual(['/p0', '/p1', '/p2', '/p3', '/p4']);
    expect(p3.body.timeline.next_cursor).toBeNull();
    expect((await profile(user, '&cursor=nope')).status).toBe(400);
    expect((await SELF.fetch(`http://collector.test/api/v1/profiles/${user}?site_id=demo`)).status).toBe(401);
  });

  it('limits how fast one user gains devices', async () => {
    const user = id('cust');
    const token = await sign(user);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < LINK_LIMITS.perUserPerHour + 2; i++) {
      const b = await browser();
      const res = await post('/v1/identify', { s: 'demo', a: b.a, k: b.k, u: user, t: b.t, token });
      statuses.push(res.status);
      retryAfter = res.headers.get('retry-after');
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(LINK_LIMITS.perUserPerHour);
    expect(statuses.slice(-2)).toEqual([429, 429]);
    // The first link of the hour leaves the window in just under an hour.
    expect(Number(retryAfter)).toBeGreaterThan(3500);
    expect(Number(retryAfter)).toBeLessThanOrEqual(3600);
  });

  it('a site without an identity secret links unverified', async () => {
    const b = await browser('demo-cookieless');
    const user = id('cust');
    expect(await identify({ s: 'demo-cookieless', a: b.a, k: b.k, u: user, t: b.t, traits: { plan: 'pro', email: 'x@y.z' } })).toMatchObject({
      status: 200,
      body: { linked: true, verified: false, refused_traits: ['email'] },
    });
    const res = await SELF.fetch(`http://collector.test/api/v1/profiles/${user}?site_id=demo-cookieless`, { headers: { authorization: 'Bearer dev-admin-key' } });
    expect(((await res.json()) as any).anonymous_ids).toEqual([expect.objectContaining({ id: b.a, verified: false })]);
  });
});

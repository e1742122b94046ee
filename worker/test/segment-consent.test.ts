import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { publicConsentId } from '../src/consent/record';
import { hmacSha256, toHex } from '../src/crypto/hmac';
import { consentBody, consentedBrowser, id, post, settle } from './helpers';
import { batch, call, count, createWriteKey, storedCalls } from './segment-helpers';

/**
 * Consent applies to server events too (CONTRACT §8): an event about a subject is stored only if that subject's consent
 * on record grants its category — or, on a `"declared"` site, the call's categoryPreferences do (a recorded refusal
 * still winning). Withdrawal, GPC-derived refusals and erasure apply exactly as for the snippet's events.
 */
const identityToken = async (user: string) => toHex(await hmacSha256('dev-identity-secret', user));
const ALL = { analytics: true, marketing: true, personalization: true };
const link = async (b: { a: string; k: string; t: string }, user: string) =>
  expect((await post('/v1/identify', { s: 'demo', a: b.a, k: b.k, u: user, t: b.t, token: await identityToken(user) })).status).toBe(200);
/** A new decision by the same browser (same consent secret). */
const decide = async (b: { a: string; k: string; consentSecret: string }, g: Record<string, boolean>, m: 'preferences' | 'banner' = 'preferences') =>
  expect((await post('/v1/consent', consentBody(g, { id: b.consentSecret, m, ...(g.analytics ? { a: b.a, k: b.k } : {}) }))).status).toBe(200);

describe('consent on record: anonymous ids', () => {
  it('stores what the latest decision grants; no record, or another category, stores nothing; necessary needs none', async () => {
    const b = await consentedBrowser({ analytics: true, marketing: false, personalization: false });
    const stranger = id('anon');
    const ok = call({ anonymousId: b.a });
    const necessary = call({ anonymousId: stranger, properties: { category: 'necessary' } });
    const product = call({ anonymousId: b.a, event: 'Product Viewed', properties: { category: 'Games' } });
    const answer = await batch([ok, call({ anonymousId: stranger }), call({ anonymousId: b.a, properties: { category: 'marketing' } }), necessary, product]);
    expect(answer).toMatchObject({ accepted: 3, dropped: 2, dropped_reasons: { no_consent: 1, denied: 1 }, rejected: [] });
    const rows = await storedCalls([ok.messageId, necessary.messageId, product.messageId] as string[]);
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId[`s:${ok.messageId}`]).toMatchObject({ category: 'analytics', consent: 'analytics', anon_id: b.a });
    expect(byId[`s:${necessary.messageId}`]).toMatchObject({ category: 'necessary', consent: '' });
    // A product's category (Segment's e-commerce spec) is not a consent category: it stays a property.
    expect(byId[`s:${product.messageId}`]).toMatchObject({ category: 'analytics', props: '{"category":"Games"}' });
  });

  it('narrowing and withdrawal bind server events from the moment the receipt is answered', async () => {
    const b = await consentedBrowser(ALL);
    const before = call({ anonymousId: b.a, properties: { category: 'marketing' } });
    expect((await batch([before])).accepted).toBe(1);
    // Stored before the browser decides again (a withdrawal also drops what is still queued: see the pipeline test).
    expect(await storedCalls([before.messageId as string])).toHaveLength(1);
    await decide(b, { analytics: true, marketing: false, personalization: false });
    expect((await batch([call({ anonymousId: b.a, properties: { category: 'marketing' } })])).dropped_reasons).toEqual({ denied: 1 });
    await decide(b, { analytics: false, marketing: false, personalization: false });
    // Withdrawing analytics tombstones the browser's anonymous id: dropped whatever the call (necessary included).
    expect((await batch([call({ anonymousId: b.a }), call({ anonymousId: b.a, properties: { category: 'necessary' } })])).dropped_reasons).toEqual({ erased: 2 });
  });

  it('a decision made from the GPC signal never grants marketing; a decision under an old policy or past its lifetime grants nothing', async () => {
    const g = await consentedBrowser({ analytics: true, marketing: true, personalization: true });
    await decide(g, { analytics: true, marketing: true, personalization: true }, 'gpc' as 'banner');
    expect((await batch([call({ anonymousId: g.a, properties: { category: 'marketing' } })])).dropped_reasons).toEqual({ denied: 1 });
    // Receipts written as an older policy version would have left them, and one from 13 months ago.
    const stale = id('anon');
    const old = id('anon');
    const now = Date.now();
    for (const [anon, version, at] of [[stale, '2025-01-01', now - 86_400_000], [old, '2026-11-01', now - 400 * 86_400_000]] as const) {
      const consent = await publicConsentId(crypto.randomUUID());
      const receipt = id('r');
      await env.DB.batch([
        env.DB.prepare(
          `INSERT INTO consent_receipts (site_id, receipt_id, consent_id, granted, denied, policy_version, method, gpc, ts, received_at, anon_id)
           VALUES ('demo', ?1, ?2, '["analytics"]', '[]', ?3, 'banner', 0, ?4, ?4, ?5)`,
        ).bind(receipt, consent, version, at, anon),
        env.DB.prepare(`INSERT INTO consent_state (site_id, consent_id, receipt_id, granted, decided_at) VALUES ('demo', ?1, ?2, '["analytics"]', ?3)`).bind(consent, receipt, at),
      ]);
    }
    const answer = await batch([call({ anonymousId: stale, timestamp: undefined }), call({ anonymousId: old, timestamp: undefined })]);
    expect(answer.dropped_reasons).toEqual({ stale_policy: 1, expired: 1 });
  });
});

describe('consent on record: user ids', () => {
  it('the latest decision among the user\'s linked browsers decides', async () => {
    const user = id('cust');
    const laptop = await consentedBrowser(ALL);
    await link(laptop, user);
    const phone = await consentedBrowser({ analytics: true, marketing: false, personalization: false });
    await link(phone, user);
    // The phone decided last: no marketing about this person, analytics yes.
    const analytics = call({ userId: user });
    let answer = await batch([analytics, call({ userId: user, properties: { category: 'marketing' } })]);
    expect(answer).toMatchObject({ accepted: 1, dropped_reasons: { denied: 1 } });
    // Then they grant marketing again on the laptop: the laptop's decision is now the latest.
    await decide(laptop, ALL);
    const marketing = call({ userId: user, properties: { category: 'marketing' } });
    answer = await batch([marketing]);
    expect(answer.accepted).toBe(1);
    const rows = await storedCalls([analytics.messageId, marketing.messageId] as string[]);
    expect(rows.map((r) => r.user_id)).toEqual([user, user]);
    // A user with no browser on record: nothing stored.
    expect((await batch([call({ userId: id('cust') })])).dropped_reasons).toEqual({ no_consent: 1 });
  });

  it('an identify in a batch counts for the calls after it (the browser\'s decision becomes the user\'s)', async () => {
    const b = await consentedBrowser();
    const user = id('cust');
    const after = call({ userId: user });
    const answer = await batch([call({ type: 'identify', userId: user, anonymousId: b.a }), after]);
    expect(answer).toMatchObject({ accepted: 2, dropped: 0 });
    const [row] = await storedCalls([after.messageId as string]);
    expect(row).toMatchObject({ user_id: user, anon_id: null });
  });
});

describe('declared consent (demo-cookieless: "server_consent": "declared")', () => {
  it('Segment\'s context.consent.categoryPreferences grants, without case; a refusal on record still wins', async () => {
    const key = await createWriteKey('demo-cookieless');
    const prefs = (p: Record<string, boolean>) => ({ consent: { categoryPreferences: p } });
    const someone = id('anon');
    const granted = call({ anonymousId: someone, context: prefs({ Analytics: true, Advertising: true }) });
    const necessary = call({ anonymousId: someone, properties: { category: 'necessary' } });
    let answer = await batch([
      granted,
      call({ anonymousId: someone }),
      call({ anonymousId: someone, properties: { category: 'marketing' }, context: prefs({ Analytics: true, Marketing: false }) }),
      necessary,
    ], { key });
    expect(answer).toMatchObject({ accepted: 2, dropped_reasons: { no_consent: 1, denied: 1 } });
    // A visitor of that site who refused marketing in the banner: the sender's declaration can't override it.
    const b = await consentedBrowser({ analytics: true, marketing: false, personalization: false }, 'demo-cookieless');
    answer = await batch([call({ anonymousId: b.a, properties: { category: 'marketing' }, context: prefs({ analytics: true, marketing: true }) })], { key });
    expect(answer.dropped_reasons).toEqual({ denied: 1 });
    const rows = await storedCalls([granted.messageId, necessary.messageId] as string[]);
    expect(rows.find((r) => r.id === `s:${granted.messageId}`)).toMatchObject({ site_id: 'demo-cookieless', consent: 'analytics' });
  });
});

describe('what was dropped, and why, is counted', () => {
  it('the consent stats show server drops by category and by reason', async () => {
    await batch([call({ anonymousId: id('anon'), properties: { category: 'personalization' } })]);
    await settle(1500);
    const res = await SELF.fetch('http://collector.test/api/v1/consent?site_id=demo&date_range=7d', { headers: { authorization: 'Bearer dev-admin-key' } });
    const stats = (await res.json()) as { dropped_for_consent: Record<string, number>; server_dropped: Record<string, number> };
    expect(stats.dropped_for_consent.personalization).toBeGreaterThanOrEqual(1);
    expect(stats.server_dropped.no_consent).toBeGreaterThanOrEqual(1);
    expect(await count("SELECT coalesce(sum(n), 0) AS n FROM ingest_counts WHERE name = 'server_dropped_no_consent'")).toBeGreaterThanOrEqual(1);
  });
});

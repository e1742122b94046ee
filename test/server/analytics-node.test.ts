import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browser, exported, flakyProxy, startFresh, uid, waitFor, type Row } from './helpers';

/**
 * A real client nobody here wrote: `@segment/analytics-node`, unmodified apart from writeKey, host and path
 * (CONTRACT §8), against the local collector started as `npm start` starts it. Rows are read back through the
 * export API, as a downstream system would.
 */
let base = '';
let stopCollector: () => Promise<void> = async () => {};
beforeAll(async () => {
  const c = await startFresh(8851);
  base = c.url;
  stopCollector = c.stop;
});
afterAll(() => stopCollector());

const client = (writeKey = 'dev-write-key', host = base) => new Analytics({ writeKey, host, path: '/segment/v1/batch' });
/** A call's callback as a promise: undefined when delivered, the client's error otherwise. */
const delivered = (send: (cb: (err?: unknown) => void) => void): Promise<unknown> => new Promise((resolve) => send((err) => resolve(err)));
const ofIds = (rows: Row[], ids: string[]) => ids.map((i) => rows.find((r) => r.id === `s:${i}`));

describe('@segment/analytics-node against the collector', () => {
  it('track, identify, page and alias are stored, stitched with the browser that logged in through tp.identify', async () => {
    const b = await browser(base);
    const browserEvents = await b.pageviews(['/pricing', '/checkout']);
    const user = uid('cust');
    await b.identify(user);
    const other = await browser(base); // the same person's second browser, never logged in there
    const ids = { identify: uid('m'), track: uid('m'), page: uid('m'), alias: uid('m') };

    const analytics = client();
    const sent = [
      delivered((cb) => analytics.identify({ messageId: ids.identify, userId: user, anonymousId: b.a, traits: { plan: 'pro', email: 'jane@example.com' } }, cb)),
      delivered((cb) => analytics.track({ messageId: ids.track, userId: user, event: 'Order Completed', properties: { revenue: 19.99, currency: 'EUR', order_id: 'o-1' } }, cb)),
      delivered((cb) => analytics.page({ messageId: ids.page, anonymousId: b.a, name: 'Thanks', properties: { url: 'https://shop.example/thanks?utm_source=mail' } }, cb)),
      delivered((cb) => analytics.alias({ messageId: ids.alias, previousId: other.a, userId: user }, cb)),
    ];
    await analytics.closeAndFlush();
    expect(await Promise.all(sent)).toEqual([undefined, undefined, undefined, undefined]);

    const rows = await waitFor(base, (r) => ofIds(r, Object.values(ids)).every(Boolean));
    const [identify, track, page, alias] = ofIds(rows, [ids.identify, ids.track, ids.page, ids.alias]);
    expect(identify).toMatchObject({ name: 'identify', anon_id: b.a, user_id: user, sent_from: 'server' });
    expect(track).toMatchObject({ name: 'Order Completed', custom: 1, user_id: user, revenue: 1999, currency: 'EUR', props: { order_id: 'o-1' }, sent_from: 'server' });
    expect(page).toMatchObject({ name: 'pageview', anon_id: b.a, user_id: user, path: '/thanks', utm_source: 'mail', sent_from: 'server' });
    expect(alias).toMatchObject({ name: 'alias', anon_id: other.a, user_id: user });
    // The browser's own events, recorded before any of this, are the same person's journey.
    expect(rows.filter((r) => browserEvents.includes(r.id)).map((r) => r.sent_from)).toEqual(['browser', 'browser']);

    const profile = (await (await fetch(`${base}/api/v1/profiles/${user}?site_id=demo`, { headers: { authorization: 'Bearer dev-admin-key' } })).json()) as any;
    expect(profile.anonymous_ids.map((l: { id: string }) => l.id).sort()).toEqual([b.a, other.a].sort());
    expect(profile.traits).toEqual({ plan: 'pro', email: 'jane@example.com' });
    expect(profile.timeline.events.map((e: { id: string }) => e.id)).toEqual(expect.arrayContaining([...browserEvents, ...Object.values(ids).map((i) => `s:${i}`)]));
  }, 60_000);

  it('consent: nothing stored about a subject whose consent on record does not grant the category', async () => {
    const b = await browser(base, { analytics: true, marketing: false, personalization: false });
    const ids = { ok: uid('m'), marketing: uid('m'), stranger: uid('m'), necessary: uid('m') };
    const analytics = client();
    const sent = [
      delivered((cb) => analytics.track({ messageId: ids.ok, anonymousId: b.a, event: 'Newsletter Clicked' }, cb)),
      delivered((cb) => analytics.track({ messageId: ids.marketing, anonymousId: b.a, event: 'Ad Shown', properties: { category: 'marketing' } }, cb)),
      delivered((cb) => analytics.track({ messageId: ids.stranger, anonymousId: uid('anon'), event: 'Order Completed' }, cb)),
      delivered((cb) => analytics.track({ messageId: ids.necessary, anonymousId: uid('anon'), event: 'Password Reset', properties: { category: 'necessary' } }, cb)),
    ];
    await analytics.closeAndFlush();
    expect(await Promise.all(sent)).toEqual([undefined, undefined, undefined, undefined]); // Segment's contract: a 200, drops are not errors
    const rows = await waitFor(base, (r) => ofIds(r, [ids.ok, ids.necessary]).every(Boolean));
    const [ok, marketing, stranger, necessary] = ofIds(rows, [ids.ok, ids.marketing, ids.stranger, ids.necessary]);
    expect(ok).toMatchObject({ category: 'analytics', consent: 'analytics' });
    expect(necessary).toMatchObject({ category: 'necessary' });
    expect([marketing, stranger]).toEqual([undefined, undefined]);
    const stats = (await (await fetch(`${base}/api/v1/consent?site_id=demo&date_range=day`, { headers: { authorization: 'Bearer dev-admin-key' } })).json()) as any;
    expect(stats.server_dropped).toMatchObject({ denied: expect.any(Number), no_consent: expect.any(Number) });
    expect(stats.dropped_for_consent.marketing).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('a batch the client retries (the answer was lost) is stored once', async () => {
    const b = await browser(base);
    const proxy = await flakyProxy(base, 1);
    try {
      const ids = [uid('m'), uid('m'), uid('m')];
      const analytics = client('dev-write-key', proxy.url);
      const sent = ids.map((messageId, i) => delivered((cb) => analytics.track({ messageId, anonymousId: b.a, event: `Step ${i}` }, cb)));
      await analytics.closeAndFlush();
      expect(await Promise.all(sent)).toEqual([undefined, undefined, undefined]);
      expect(proxy.requests).toBe(2); // the first answer was lost, the client sent the batch again
      await waitFor(base, (r) => ofIds(r, ids).every(Boolean));
      await new Promise((r) => setTimeout(r, 1500));
      const rows = (await exported(base)).filter((r) => ids.some((i) => r.id === `s:${i}`));
      expect(rows).toHaveLength(3);
    } finally {
      await proxy.close();
    }
  }, 60_000);

  it('a wrong write key is a 401 (the client reports the failure); an API key can\'t write', async () => {
    for (const key of ['wrong-key', 'dev-admin-key']) {
      const analytics = client(key);
      const statuses: number[] = [];
      analytics.on('http_response', (r) => statuses.push(r.status));
      const messageId = uid('m');
      const err = delivered((cb) => analytics.track({ messageId, anonymousId: uid('anon'), event: 'Nope' }, cb));
      await analytics.closeAndFlush();
      expect(String(await err)).toContain('401');
      expect(statuses).toEqual([401]); // final, not retried
    }
  }, 60_000);

  it('an event over 32 KB is a 400; the good events of its batch are still stored', async () => {
    const b = await browser(base);
    const analytics = client();
    const statuses: number[] = [];
    analytics.on('http_response', (r) => statuses.push(r.status));
    const good = uid('m');
    const big = uid('m');
    // The client measures an event's size its own way and lets this one through; the collector measures bytes.
    const sent = [
      delivered((cb) => analytics.track({ messageId: good, anonymousId: b.a, event: 'Small' }, cb)),
      delivered((cb) => analytics.track({ messageId: big, anonymousId: b.a, event: 'Large', properties: { blob: 'x'.repeat(40 * 1024) } }, cb)),
    ];
    await analytics.closeAndFlush();
    const errors = await Promise.all(sent);
    expect(statuses).toEqual([400]); // Segment's answer to an oversize event; the client does not retry it
    expect(String(errors[1])).toContain('400');
    const rows = await waitFor(base, (r) => ofIds(r, [good]).every(Boolean));
    expect(ofIds(rows, [good, big]).map((r) => r?.name)).toEqual(['Small', undefined]);
  }, 60_000);
});

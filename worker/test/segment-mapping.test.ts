import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { getSite } from '../src/config/sites';
import { deliveriesFor } from '../src/destinations/fan-out';
import type { EventRow } from '../src/storage/messages';
import { consentedBrowser, event, id, post, waitForRows } from './helpers';
import { batch, call, createWriteKey, storedCalls } from './segment-helpers';

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';
const rowsById = async (calls: Record<string, unknown>[]) => Object.fromEntries((await storedCalls(calls.map((c) => c.messageId as string))).map((r) => [(r.id as string).slice(2), r]));

describe('mapping Segment calls to events', () => {
  it('track: a custom event; revenue in exact minor units of its currency (Segment\'s default USD)', async () => {
    const b = await consentedBrowser();
    const eur = call({ anonymousId: b.a, properties: { revenue: 19.99, currency: 'eur', plan: 'pro' } });
    const jpy = call({ anonymousId: b.a, properties: { revenue: '1500', currency: 'JPY' } });
    const usd = call({ anonymousId: b.a, properties: { revenue: 0.1 + 0.2 } });
    const answer = await batch([eur, jpy, usd, call({ anonymousId: b.a, properties: { revenue: 5, currency: 'EURO' } }), call({ anonymousId: b.a, properties: { revenue: 5, currency: 'XYZ' } }), call({ anonymousId: b.a, properties: { revenue: 'lots' } })]);
    expect(answer.rejected.map((r) => r.field)).toEqual(['batch.3.properties.currency', 'batch.4.properties.currency', 'batch.5.properties.revenue']);
    const rows = await rowsById([eur, jpy, usd]);
    expect(rows[eur.messageId as string]).toMatchObject({ name: 'Order Completed', custom: 1, revenue: 1999, currency: 'EUR', props: '{"plan":"pro"}', sent_from: 'server' });
    expect(rows[jpy.messageId as string]).toMatchObject({ revenue: 1500, currency: 'JPY', props: null });
    expect(rows[usd.messageId as string]).toMatchObject({ revenue: 30, currency: 'USD' });
  });

  it('page → pageview with cleaned URL, path, referrer and source; screen → pageview at screen:<name>', async () => {
    const b = await consentedBrowser();
    const page = call({
      type: 'page', anonymousId: b.a, name: 'Pricing', event: undefined,
      properties: { url: 'https://u:p@shop.example/pricing?utm_source=nl&token=secret#x', referrer: 'https://www.google.com/search?q=me', title: 'Pricing for Jane', search: '?token=secret', plan: 'pro' },
    });
    const screen = call({ type: 'screen', anonymousId: b.a, name: 'Checkout', event: undefined, properties: { step: 2 } });
    await batch([page, screen]);
    const rows = await rowsById([page, screen]);
    expect(rows[page.messageId as string]).toMatchObject({
      name: 'pageview', custom: 0, url: 'https://shop.example/pricing?utm_source=nl', path: '/pricing', referrer: 'https://www.google.com/search',
      utm_source: 'nl', source: 'nl', props: '{"name":"Pricing","plan":"pro"}',
    });
    expect(rows[screen.messageId as string]).toMatchObject({ name: 'pageview', url: '', path: 'screen:Checkout', props: '{"screen":"Checkout","step":2}' });
  });

  it('context: agent, location and campaign enrich as for the browser; the IP is never stored; bots are dropped', async () => {
    const b = await consentedBrowser();
    const c = call({
      anonymousId: b.a,
      context: { ip: '198.51.100.77', userAgent: IPHONE, location: { country: 'DE', city: 'Berlin' }, timezone: 'Europe/Berlin', locale: 'de-DE', campaign: { source: 'newsletter', medium: 'email', name: 'nov' } },
    });
    const app = call({ anonymousId: b.a, context: { os: { name: 'Android' }, device: { type: 'android' }, location: { country: 'Germany' } } });
    const answer = await batch([c, app, call({ anonymousId: b.a, context: { userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' } })]);
    expect(answer.dropped_reasons).toEqual({ bot: 1 });
    const rows = await rowsById([c, app]);
    expect(rows[c.messageId as string]).toMatchObject({
      browser: 'Mobile Safari', os: 'iOS', device: 'mobile', bot: 0, country: 'DE', city: 'Berlin', timezone: 'Europe/Berlin',
      utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'nov', source: 'newsletter', medium: 'email', visitor_hash: null,
    });
    expect(JSON.stringify(rows[c.messageId as string])).not.toContain('198.51.100.77');
    expect(rows[app.messageId as string]).toMatchObject({ browser: null, os: 'Android', device: 'mobile', country: null });
  });

  it('nested properties are kept as JSON text when they fit; what can\'t be kept is named in the answer', async () => {
    const b = await consentedBrowser();
    const c = call({ anonymousId: b.a, properties: { products: [{ sku: 'a-1', price: 9.5 }], long: 'x'.repeat(600), ['__proto__']: 1, href: 'https://shop.example/p?session=s3cret' } });
    const answer = await batch([c]);
    expect(answer.left_out).toEqual([{ index: 0, keys: ['long', '__proto__'] }]);
    const [row] = await storedCalls([c.messageId as string]);
    expect(JSON.parse(row!.props as string)).toEqual({ products: '[{"sku":"a-1","price":9.5}]', href: 'https://shop.example/p' });
  });

  it('server events of one subject and day form one visit of their own', async () => {
    const b = await consentedBrowser();
    const calls = [call({ anonymousId: b.a }), call({ anonymousId: b.a, type: 'page', name: 'Home', event: undefined })];
    await batch(calls);
    const rows = await rowsById(calls);
    const sessions = new Set(Object.values(rows).map((r) => r.session_id));
    expect(sessions.size).toBe(1);
    expect([...sessions][0]).toMatch(/^srv-\d{8}-[0-9a-f]{16}$/);
  });
});

describe('identity through the graph', () => {
  it('identify links the browser (tp.anonymousId()) to the user: its history joins, later server events are the user\'s', async () => {
    const b = await consentedBrowser();
    const browserEvents = [event({ u: 'https://shop.example/cart' })];
    expect((await post('/v1/e', { s: 'demo', t: b.t, a: b.a, ss: id('sess'), e: browserEvents })).status).toBe(202);
    await waitForRows('SELECT 1 FROM events WHERE id = ?1', [browserEvents[0]!.i], 1);
    const user = id('cust');
    const identify = call({ type: 'identify', userId: user, anonymousId: b.a, traits: { plan: 'pro', email: 'jane@example.com', phone: '+49 30 1234' } });
    const purchase = call({ anonymousId: b.a, properties: { revenue: 42, currency: 'EUR' } });
    const answer = await batch([identify, purchase]);
    expect(answer.left_out).toEqual([{ index: 0, keys: ['phone'] }]);
    const rows = await rowsById([identify, purchase]);
    expect(rows[identify.messageId as string]).toMatchObject({ name: 'identify', user_id: user, anon_id: b.a, props: null });
    expect(rows[purchase.messageId as string]).toMatchObject({ user_id: user, revenue: 4200 });
    const link = await env.DB.prepare('SELECT verified, method FROM identity_links WHERE anon_id = ?1').bind(b.a).first();
    expect(link).toEqual({ verified: 1, method: 'server_identify' });
    const profile = (await (await SELF.fetch(`http://collector.test/api/v1/profiles/${user}?site_id=demo`, { headers: { authorization: 'Bearer dev-admin-key' } })).json()) as any;
    expect(profile.traits).toEqual({ plan: 'pro', email: 'jane@example.com' });
    const timeline = profile.timeline.events as { id: string; stitched?: boolean }[];
    expect(timeline.map((e) => e.id)).toEqual(expect.arrayContaining([browserEvents[0]!.i, `s:${identify.messageId}`, `s:${purchase.messageId}`]));
  });

  it('alias links previousId to the user by the same rules; group stores the group and its allowed traits', async () => {
    const b = await consentedBrowser();
    const user = id('cust');
    const alias = call({ type: 'alias', previousId: b.a, userId: user, event: undefined });
    const group = call({ type: 'group', userId: user, groupId: 'acme-inc', traits: { name: 'Acme', employees: 42, phone: '555' }, event: undefined });
    await batch([alias, group]);
    const rows = await rowsById([alias, group]);
    expect(rows[alias.messageId as string]).toMatchObject({ name: 'alias', anon_id: b.a, user_id: user });
    expect(JSON.parse(rows[group.messageId as string]!.props as string)).toEqual({ group_id: 'acme-inc', name: 'Acme', employees: 42 });
    expect(await env.DB.prepare('SELECT user_id, method FROM identity_links WHERE anon_id = ?1').bind(b.a).first()).toEqual({ user_id: user, method: 'server_alias' });
  });

  it('the graph\'s limits hold: at most 10 new devices a user an hour; no link without consent for the browser', async () => {
    const user = id('cust');
    const browsers = [];
    for (let i = 0; i < 11; i++) browsers.push(await consentedBrowser());
    const answer = await batch(browsers.map((b) => call({ type: 'alias', previousId: b.a, userId: user, event: undefined })));
    expect(answer.accepted).toBe(10);
    expect(answer.rejected).toEqual([expect.objectContaining({ index: 10, code: 'rate_limited', field: 'batch.10.previousId' })]);
    const unknown = id('anon');
    expect((await batch([call({ type: 'identify', userId: id('cust'), anonymousId: unknown, event: undefined })])).dropped_reasons).toEqual({ no_consent: 1 });
    expect(await env.DB.prepare('SELECT count(*) AS n FROM identity_links WHERE anon_id = ?1').bind(unknown).first()).toEqual({ n: 0 });
  });

  it('personal traits only where the site allows them (demo-cookieless allows plan only)', async () => {
    const key = await createWriteKey('demo-cookieless');
    const user = id('cust');
    const prefs = { consent: { categoryPreferences: { analytics: true } } };
    const answer = await batch([call({ type: 'identify', userId: user, traits: { plan: 'pro', email: 'jane@example.com' }, context: prefs })], { key });
    expect(answer.left_out).toEqual([{ index: 0, keys: ['email'] }]);
    expect(await env.DB.prepare('SELECT traits FROM user_traits WHERE user_id = ?1').bind(user).first()).toEqual({ traits: '{"plan":"pro"}' });
  });
});

describe('destinations', () => {
  it('receive server events under the same category rules as the browser\'s', () => {
    const site = { ...getSite('demo')!, destinations: [{ name: 'ads', url: 'https://ads.example/hook', categories: ['marketing'], secret_env: 'X' }] };
    const row = (category: string): EventRow =>
      ({ site_id: 'demo', id: `s:${category}`, category, sent_from: 'server', name: 'Order Completed', visitor_hash: null, bot: 0 }) as unknown as EventRow;
    const out = deliveriesFor(site, [row('analytics'), row('marketing')]);
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0]!.body).events).toEqual([expect.objectContaining({ id: 's:marketing', sent_from: 'server' })]);
  });
});

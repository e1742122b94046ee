import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { getSite } from '../src/config/sites';
import { subjectHash } from '../src/privacy/tombstones';
import { messagesFor } from '../src/server-events/enqueue';
import type { BatchContext, EnrichedEvent, ServerEventsMessage } from '../src/storage/messages';
import { consentedBrowser, consume, id } from './helpers';
import { count } from './segment-helpers';

/**
 * Server events reuse the consumer (pipeline/): what the request saw may change before the consumer stores it — an
 * erasure, a narrower decision — and the consumer's second check applies to server messages as to the snippet's.
 */
const ctx = (over: Partial<BatchContext> = {}): BatchContext => ({
  anon_id: null, user_id: null, session_id: 'srv-20261126-0000000000000000', visitor_hash: null, country: null, region: null, city: null,
  timezone: null, browser: null, os: null, device: 'other', bot: 0, cookieless: 0, consent: 'analytics', ...over,
});
const serverEvent = (category = 'analytics'): EnrichedEvent => ({
  id: `s:${id('msg')}`, name: 'Order Completed', custom: 1, category, ts: Date.now(), url: '', path: '', referrer: null, ref_host: null,
  source: null, medium: null, utm_source: null, utm_medium: null, utm_campaign: null, utm_term: null, utm_content: null, click_id: null,
  pageview_id: null, props: null, sent_from: 'server', revenue: 1999, currency: 'EUR',
});


describe('server events in the consumer', () => {
  it('a user erased while its events were queued: dropped, as an erased anonymous id\'s are', async () => {
    const user = id('cust');
    const keep = id('cust');
    await env.DB.prepare("INSERT INTO tombstones (site_id, subject, scope, reason, created_at) VALUES ('demo', ?1, 'user', 'erased', ?2)").bind(await subjectHash(user, 'user'), Date.now()).run();
    const gone = serverEvent();
    const kept = serverEvent();
    const messages = messagesFor('demo', Date.now(), [{ event: gone, ctx: ctx({ user_id: user }) }, { event: kept, ctx: ctx({ user_id: keep }) }], { server_dropped_no_consent: 1 });
    expect(messages.map((m) => m.body.groups.length)).toEqual([2]); // one queue message, a group per subject
    const { result } = await consume(messages.map((m) => m.body));
    expect(result.retryMessages).toEqual([]);
    expect(await count('SELECT count(*) AS n FROM events WHERE id = ?1', gone.id)).toBe(0);
    expect(await env.DB.prepare('SELECT user_id, revenue, currency, sent_from FROM events WHERE id = ?1').bind(kept.id).first()).toEqual({ user_id: keep, revenue: 1999, currency: 'EUR', sent_from: 'server' });
  });

  it('a decision narrowed after the request but before the consumer: the withdrawn category is not stored', async () => {
    const b = await consentedBrowser({ analytics: true, marketing: true, personalization: false });
    const state = await env.DB.prepare('SELECT consent_id, receipt_id FROM consent_state WHERE consent_id = (SELECT consent_id FROM consent_receipts WHERE anon_id = ?1)').bind(b.a).first<{ consent_id: string; receipt_id: string }>();
    const receivedAt = Date.now();
    const marketing = serverEvent('marketing');
    const analytics = serverEvent('analytics');
    const [m] = messagesFor('demo', receivedAt, [marketing, analytics].map((event) => ({ event, ctx: ctx({ anon_id: b.a, consent: 'analytics,marketing' }), cs: { c: state!.consent_id, r: state!.receipt_id } })), {}).map((x) => x.body);
    // The browser narrows before the consumer runs (a receipt decided after the request would not bind it).
    await env.DB.prepare("UPDATE consent_state SET receipt_id = 'later', granted = '[\"analytics\"]', decided_at = ?2 WHERE consent_id = ?1").bind(state!.consent_id, receivedAt - 1).run();
    await consume([m!]);
    expect(await count('SELECT count(*) AS n FROM events WHERE id IN (?1, ?2)', marketing.id, analytics.id)).toBe(1);
    expect(await count('SELECT count(*) AS n FROM events WHERE id = ?1', analytics.id)).toBe(1);
  });

  it('a request\'s calls are grouped per subject and decision, and split under the queue\'s message size', () => {
    const site = getSite('demo')!.id;
    const big = (anon: string) => ({ event: { ...serverEvent(), props: JSON.stringify({ blob: 'x'.repeat(30_000) }) }, ctx: ctx({ anon_id: anon }) });
    const messages = messagesFor(site, Date.now(), [big('a-1'), big('a-1'), big('a-1'), big('a-1'), big('a-2')], { server_dropped_no_consent: 2 });
    expect(messages.map((m) => m.body.groups.map((g) => [g.ctx.anon_id, g.events.length]))).toEqual([[['a-1', 3]], [['a-1', 1], ['a-2', 1]]]);
    expect(messages.every((m) => JSON.stringify(m.body).length < 128_000)).toBe(true);
    expect(messages[0]!.body.counts).toEqual({ server_dropped_no_consent: 2 });
    // Nothing stored but drops to count: one message carries the counts.
    expect(messagesFor(site, Date.now(), [], { server_dropped_erased: 1 }).map((m) => m.body.groups.length)).toEqual([0]);
  });
});

import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import type { SiteConfig } from '../src/config/schema';
import { getSite } from '../src/config/sites';
import { backoffSeconds, deliver } from '../src/destinations/deliver';
import { deliveriesFor } from '../src/destinations/fan-out';
import { handleQueue } from '../src/pipeline/consume';
import type { EventsMessage, QueueMessage } from '../src/storage/messages';
import { hmacSha256, toHex } from '../src/crypto/hmac';
import { id } from './helpers';

const ctx = {
  anon_id: 'anon-consumer-test', user_id: null, session_id: null, visitor_hash: 'h', country: null, region: null, city: null, timezone: null,
  browser: 'Chrome', os: 'Linux', device: 'desktop', bot: 0, cookieless: 0, consent: 'analytics',
} as const;

const eventsMessage = (ids: string[], category = 'analytics'): EventsMessage => ({
  k: 'ev',
  site: 'demo',
  received_at: Date.now(),
  ctx: { ...ctx },
  counts: { dropped_consent_marketing: 1 },
  events: ids.map((i) => ({
    id: i, name: 'pageview', custom: 0, category, ts: Date.now(), url: 'https://shop.example/', path: '/', referrer: null, ref_host: null,
    source: null, medium: 'direct', utm_source: null, utm_medium: null, utm_campaign: null, utm_term: null, utm_content: null,
    click_id: null, pageview_id: null, props: null, sent_from: 'browser', revenue: null, currency: null,
  })),
});

async function run(messages: { id: string; body: QueueMessage }[]) {
  const batch = createMessageBatch<QueueMessage>('tp-events', messages.map((m) => ({ ...m, timestamp: new Date(), attempts: 1 })));
  const ectx = createExecutionContext();
  await handleQueue(batch, env);
  return getQueueResult(batch, ectx);
}

describe('queue consumer', () => {
  it('writes a batch in one go, acks every message, and a redelivery stores nothing twice', async () => {
    const ids = [id('e'), id('e'), id('e')];
    const messages = [
      { id: id('m'), body: eventsMessage(ids.slice(0, 2)) },
      { id: id('m'), body: eventsMessage(ids.slice(2)) },
    ];
    const first = await run(messages);
    expect(first.explicitAcks.sort()).toEqual(messages.map((m) => m.id).sort());
    expect(first.retryMessages).toEqual([]);
    const again = await run(messages);
    expect(again.explicitAcks).toHaveLength(2);
    const { results } = await env.DB.prepare(`SELECT id FROM events WHERE id IN (?, ?, ?)`).bind(...ids).all();
    expect(results).toHaveLength(3);
    const counts = await env.DB.prepare('SELECT SUM(n) AS n FROM ingest_counts WHERE message_id IN (?, ?)').bind(messages[0]!.id, messages[1]!.id).first<{ n: number }>();
    expect(counts!.n).toBe(2); // counted once per message, not once per delivery
  });

  it('one poison message is retried alone; its neighbours are stored and acked', async () => {
    const good = { id: id('m'), body: eventsMessage([id('e')]) };
    const poison = eventsMessage([id('e')]);
    poison.events[0]!.url = `https://shop.example/${'x'.repeat(3_000_000)}`; // past D1's 2 MB value limit
    const bad = { id: id('m'), body: poison };
    const result = await run([good, bad]);
    expect(result.explicitAcks).toEqual([good.id]);
    expect(result.retryMessages.map((r) => r.msgId)).toEqual([bad.id]);
    const row = await env.DB.prepare('SELECT id FROM events WHERE id = ?').bind(good.body.events[0]!.id).first();
    expect(row).not.toBeNull();
  });

  it('unknown message shapes are acked and logged, not retried forever', async () => {
    const result = await run([{ id: id('m'), body: { k: 'zz' } as unknown as QueueMessage }]);
    expect(result.explicitAcks).toHaveLength(1);
  });
});

describe('destinations', () => {
  const site = (url: string): SiteConfig => ({
    ...getSite('demo')!,
    destinations: [{ name: 'crm', url, categories: ['analytics'], secret_env: 'TP_DEST_TEST_SECRET' }],
  });

  it('fan-out sends a destination only the categories it declares, without internal fields', () => {
    const m = eventsMessage([id('e')]);
    const marketing = eventsMessage([id('e')], 'marketing');
    const rows = [...m.events, ...marketing.events].map((e) => ({ ...ctx, ...e, site_id: 'demo', received_at: 1 }));
    const [delivery] = deliveriesFor(site('http://x.invalid/'), rows);
    const body = JSON.parse(delivery!.body);
    expect(body.events.map((e: { category: string }) => e.category)).toEqual(['analytics']);
    expect(body.events[0]).not.toHaveProperty('visitor_hash');
  });

  it('POSTs a signed body to a real HTTP endpoint, retries with backoff on failure', async () => {
    const receiver = inject('receiverUrl');
    const body = JSON.stringify({ site: 'demo', events: [{ id: id('e') }] });
    await fetch(`${receiver}/__status`, { method: 'POST', body: '503' });
    const mk = () => createMessageBatch<QueueMessage>('tp-events', [{ id: id('d'), timestamp: new Date(), attempts: 2, body: { k: 'dl', site: 'demo', destination: 'crm', body } }]);

    const failing = mk();
    await deliver(failing.messages[0] as Message<never>, env, () => site(`${receiver}/hook`));
    const r1 = await getQueueResult(failing, createExecutionContext());
    // (getQueueResult reports which messages were retried; the delay is backoffSeconds(attempts), tested below)
    expect(r1.retryMessages.map((r) => r.msgId)).toEqual([failing.messages[0]!.id]);
    expect(r1.explicitAcks).toEqual([]);

    const ok = mk();
    await deliver(ok.messages[0] as Message<never>, env, () => site(`${receiver}/hook`));
    const r2 = await getQueueResult(ok, createExecutionContext());
    expect(r2.explicitAcks).toEqual([ok.messages[0]!.id]);

    const received = (await (await fetch(`${receiver}/__requests`)).json()) as { headers: Record<string, string>; body: string }[];
    const last = received[received.length - 1]!;
    expect(last.body).toBe(body);
    const [, t, sig] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(last.headers['x-tp-signature']!)!;
    expect(sig).toBe(toHex(await hmacSha256('dest-secret', `${t}.${body}`)));
  });

  it('backoff doubles from 30 s and is capped at an hour', () => {
    expect([1, 2, 3, 4, 10].map(backoffSeconds)).toEqual([30, 60, 120, 240, 3600]);
  });
});

import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { consentedBrowser, id, settle } from './helpers';
import { basic, batch, call, count, createWriteKey, segment, storedCalls, type Answer } from './segment-helpers';

/** CONTRACT §8: Segment's HTTP Tracking API, as its documentation and its libraries use it. */
describe('Segment-compatible API: the wire', () => {
  it('Basic auth with a write key (user name, empty password), or writeKey in the body', async () => {
    const b = await consentedBrowser();
    const viaHeader = call({ anonymousId: b.a });
    const viaBody = call({ anonymousId: b.a, type: 'page', name: 'Home' });
    expect(await batch([viaHeader])).toMatchObject({ success: true, accepted: 1, dropped: 0, rejected: [] });
    const res = await segment('/segment/v1/page', { ...viaBody, writeKey: 'dev-write-key' }, { key: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ success: true, accepted: 1 });
    const rows = await storedCalls([viaHeader.messageId as string, viaBody.messageId as string]);
    expect(rows.map((r) => r.sent_from)).toEqual(['server', 'server']);
  });

  it('401 without a key, with an unknown, revoked or conflicting one; nothing stored', async () => {
    const c = call({ anonymousId: id('anon') });
    for (const key of [null, 'not-a-key', await createWriteKey('demo', 'server', true)]) {
      const res = await segment('/segment/v1/track', c, { key });
      expect(res.status).toBe(401);
      expect(((await res.json()) as Answer).error?.code).toBe('unauthorized');
    }
    const other = await createWriteKey('demo');
    expect((await segment('/segment/v1/track', { ...c, writeKey: other })).status).toBe(401);
    expect((await segment('/segment/v1/track', c, { key: null, headers: { authorization: 'Basic !!!' } })).status).toBe(401);
    expect((await segment('/segment/v1/track', c, { key: null, headers: { authorization: 'Bearer dev-write-key' } })).status).toBe(401);
    await settle(1500);
    expect(await count('SELECT count(*) AS n FROM events WHERE id = ?1', `s:${c.messageId}`)).toBe(0);
  });

  it('an issued key writes to its own site; keys are rate-limited per key (429 with Retry-After)', async () => {
    const key = await createWriteKey('demo');
    const b = await consentedBrowser();
    // TP_WRITE_KEY_RATE_PER_MINUTE is 20 in vitest.config.ts (default 6000).
    const statuses = await Promise.all(Array.from({ length: 20 }, () => segment('/segment/v1/track', call({ anonymousId: b.a }), { key }).then((r) => r.status)));
    expect(new Set(statuses)).toEqual(new Set([200]));
    const over = await segment('/segment/v1/track', call({ anonymousId: b.a }), { key });
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(over.headers.get('x-ratelimit-reset'))).toBeLessThanOrEqual(60);
    expect((await segment('/segment/v1/track', call({ anonymousId: b.a }), { key: await createWriteKey('demo') })).status).toBe(200);
  }, 30_000);

  it('at most 32 KB per call and 500 KB per batch: 400 beyond; an oversize call costs its batch nothing else', async () => {
    const b = await consentedBrowser();
    const big = call({ anonymousId: b.a, properties: { blob: 'x'.repeat(33 * 1024) } });
    const single = await segment('/segment/v1/track', big);
    expect(single.status).toBe(400);
    expect(((await single.json()) as Answer).error).toMatchObject({ code: 'payload_too_large', field: 'body' });
    const huge = Array.from({ length: 20 }, () => call({ anonymousId: b.a, properties: { blob: 'y'.repeat(30 * 1024) } }));
    const tooLarge = await segment('/segment/v1/batch', { batch: huge });
    expect(tooLarge.status).toBe(400);
    expect(((await tooLarge.json()) as Answer).error?.code).toBe('payload_too_large');
    const good = call({ anonymousId: b.a });
    const mixed = await batch([good, big], { status: 400 });
    expect(mixed).toMatchObject({ success: false, accepted: 1, error: { code: 'event_too_large', field: 'batch.1' } });
    expect(mixed.rejected).toEqual([expect.objectContaining({ index: 1, code: 'event_too_large' })]);
    expect(await storedCalls([good.messageId as string])).toHaveLength(1);
  });

  it('every call needs userId or anonymousId; bad calls are listed, good ones kept', async () => {
    const b = await consentedBrowser();
    const good = call({ anonymousId: b.a });
    const answer = await batch([
      call({}),
      good,
      call({ anonymousId: b.a, event: undefined }),
      call({ anonymousId: b.a, type: 'launch' }),
      call({ userId: 'null' }),
      call({ anonymousId: b.a, event: 'pageview' }),
      call({ anonymousId: b.a, timestamp: 'yesterday' }),
      call({ anonymousId: b.a, properties: ['x'] }),
      call({ type: 'alias', userId: 'u-1' }),
      'not a call',
    ]);
    expect(answer.accepted).toBe(1);
    expect(answer.rejected.map((r) => [r.code, r.field])).toEqual([
      ['missing_identity', 'batch.0.userId'],
      ['invalid_field', 'batch.2.event'],
      ['invalid_field', 'batch.3.type'],
      ['invalid_field', 'batch.4.userId'],
      ['invalid_field', 'batch.5.event'],
      ['invalid_field', 'batch.6.timestamp'],
      ['invalid_field', 'batch.7.properties'],
      ['invalid_field', 'batch.8.previousId'],
      ['invalid_field', 'batch.9'],
    ]);
    const none = await batch([call({})], { status: 400 });
    expect(none.error).toMatchObject({ code: 'invalid_events', field: 'batch.0.userId' });
  });

  it('timestamps: corrected for the sender\'s clock skew as Segment does (receivedAt − (sentAt − timestamp))', async () => {
    const b = await consentedBrowser();
    const hourAhead = Date.now() + 3600_000;
    // The sender's clock is an hour fast; the call happened 60 s before it was sent.
    const skewed = call({ anonymousId: b.a, timestamp: new Date(hourAhead - 60_000).toISOString() });
    await batch([skewed], { extra: { sentAt: new Date(hourAhead).toISOString() } });
    // Without sentAt a timestamp is taken as it is (historical import); beyond 5 minutes ahead it is refused.
    const historical = call({ anonymousId: b.a, timestamp: '2026-11-01T10:00:00.000Z', sentAt: undefined });
    const res = await segment('/segment/v1/track', historical);
    expect(res.status).toBe(200);
    const future = await segment('/segment/v1/track', call({ anonymousId: b.a, timestamp: new Date(hourAhead).toISOString() }));
    expect(future.status).toBe(400);
    const rows = await storedCalls([skewed.messageId as string, historical.messageId as string]);
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(Math.abs((byId[`s:${skewed.messageId}`]!.ts as number) - (Date.now() - 60_000))).toBeLessThan(5000);
    expect(byId[`s:${historical.messageId}`]!.ts).toBe(Date.parse('2026-11-01T10:00:00.000Z'));
  });

  it('a retried batch stores nothing twice (messageId, or without one the call itself)', async () => {
    const b = await consentedBrowser();
    const calls = [call({ anonymousId: b.a }), call({ anonymousId: b.a, type: 'page', name: 'Pricing' })];
    const noId = { type: 'track', event: 'No Id', anonymousId: b.a, timestamp: new Date().toISOString() };
    await batch([...calls, noId]);
    await batch([...calls, noId], { headers: { 'x-retry-count': '1' } });
    await storedCalls(calls.map((c) => c.messageId as string));
    await settle(1500);
    expect(await count("SELECT count(*) AS n FROM events WHERE anon_id = ?1 AND sent_from = 'server'", b.a)).toBe(3);
  });

  it('gzip bodies are read (analytics-python, analytics-go) and still capped once decompressed', async () => {
    const b = await consentedBrowser();
    const c = call({ anonymousId: b.a });
    const gz = (text: string) => new Response(new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer();
    const headers = { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: basic('dev-write-key') };
    const ok = await SELF.fetch('http://collector.test/segment/v1/batch', { method: 'POST', headers, body: await gz(JSON.stringify({ batch: [c] })) });
    expect(ok.status).toBe(200);
    const bomb = await SELF.fetch('http://collector.test/segment/v1/batch', { method: 'POST', headers, body: await gz(JSON.stringify({ batch: [call({ anonymousId: b.a, properties: { z: '0'.repeat(600 * 1024) } })] })) });
    expect(bomb.status).toBe(400);
    expect(await storedCalls([c.messageId as string])).toHaveLength(1);
  });
});

describe('Segment-compatible API: the short paths of analytics.js', () => {
  it('/v1/t, /v1/p, /v1/b … take Segment calls; /v1/e stays the snippet\'s', async () => {
    const b = await consentedBrowser();
    const t = call({ anonymousId: b.a });
    expect((await segment('/v1/t', t)).status).toBe(200);
    expect((await segment('/segment/v1/p', call({ anonymousId: b.a, type: undefined, name: 'Home' }))).status).toBe(200);
    const inBatch = call({ anonymousId: b.a });
    expect((await segment('/v1/b', { batch: [inBatch] })).status).toBe(200);
    expect(await storedCalls([t.messageId as string, inBatch.messageId as string])).toHaveLength(2);
    // The snippet's ingest path is untouched: a Segment body there is a snippet batch without `s`.
    const e = await segment('/v1/e', { batch: [call({ anonymousId: b.a })] });
    expect(e.status).toBe(400);
    expect((await segment('/v1/x', t)).status).toBe(404);
  });

  it('a browser key: events only, from the site\'s origins; a server key from a page is refused', async () => {
    const key = await createWriteKey('demo', 'browser');
    const b = await consentedBrowser();
    const origin = { origin: 'http://127.0.0.1:8787', 'content-type': 'text/plain' };
    const t = call({ anonymousId: b.a, userId: 'cust-claimed' });
    const res = await segment('/v1/t', { ...t, writeKey: key }, { key: null, headers: origin });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8787');
    const ident = await segment('/v1/i', { type: 'identify', userId: 'cust-claimed', anonymousId: b.a, writeKey: key }, { key: null, headers: origin });
    expect(ident.status).toBe(400);
    expect(((await ident.json()) as Answer).rejected[0]).toMatchObject({ code: 'needs_server_key' });
    expect((await segment('/v1/t', { ...call({ anonymousId: b.a }), writeKey: key }, { key: null, headers: { origin: 'https://evil.example' } })).status).toBe(403);
    const leaked = await segment('/v1/t', call({ anonymousId: b.a }), { headers: origin });
    expect(leaked.status).toBe(403);
    expect(((await leaked.json()) as Answer).error?.code).toBe('server_key_in_browser');
    const [row] = await storedCalls([t.messageId as string]);
    expect(row).toMatchObject({ anon_id: b.a, user_id: null });
    expect(await count('SELECT count(*) AS n FROM identity_links WHERE anon_id = ?1', b.a)).toBe(0);
  });
});

describe('Segment-compatible API: documented', () => {
  it('GET /api/openapi.json lists its paths, secured by the write key', async () => {
    const doc = (await (await SELF.fetch('http://collector.test/api/openapi.json')).json()) as any;
    for (const p of ['batch', 'track', 'identify', 'page', 'screen', 'group', 'alias']) {
      expect(doc.paths[`/segment/v1/${p}`].post.security).toEqual([{ writeKey: [] }]);
    }
    expect(doc.components.securitySchemes.writeKey).toMatchObject({ type: 'http', scheme: 'basic' });
  });
});

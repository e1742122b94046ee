import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { archiveObjects } from './archive-helpers';
import { consentToken, event, eventsOf, id, post, settle, waitForRows } from './helpers';

describe('ingest → queue → D1 and R2', () => {
  it('stores an accepted batch, enriched, and archives it to R2', async () => {
    const token = await consentToken({ analytics: true, marketing: false, personalization: false });
    const anon = id('anon');
    const e1 = event({ r: 'https://www.google.de/' });
    const e2 = event({ n: 'signup', x: 1, p: { plan: 'pro', seats: 3 } });
    const res = await post('/v1/e', { s: 'demo', t: token, a: anon, ss: id('sess'), e: [e1, e2] });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 2, dropped: 0, rejected: [] });
    expect(res.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8787');

    const rows = await eventsOf({ ids: [e1.i, e2.i] });
    expect(rows).toHaveLength(2);
    const pv = rows.find((r) => r.id === e1.i)!;
    expect(pv).toMatchObject({
      site_id: 'demo', name: 'pageview', custom: 0, category: 'analytics', anon_id: anon, path: '/pricing',
      utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'nov', medium: 'email', source: 'newsletter',
      ref_host: 'google.de', browser: 'Chrome', os: 'Mac OS', device: 'desktop', bot: 0, cookieless: 0, consent: 'analytics',
    });
    // Anonymous id and session id tell visitors and visits apart: the IP-derived hash is not kept.
    expect(pv.visitor_hash).toBeNull();
    const custom = rows.find((r) => r.id === e2.i)!;
    expect(custom).toMatchObject({ name: 'signup', custom: 1, source: null });
    expect(JSON.parse(custom.props as string)).toEqual({ plan: 'pro', seats: 3 });

    // The raw IP is stored nowhere.
    expect(JSON.stringify(rows)).not.toContain('203.0.113.9');

    // Without a session id (an API client, say) the daily hash is what groups the visit.
    const e3 = event();
    expect((await post('/v1/e', { s: 'demo', t: token, a: anon, e: [e3] })).status).toBe(202);
    const [noSession] = await eventsOf({ ids: [e3.i] });
    expect(noSession!.visitor_hash).toMatch(/^[0-9a-f]{32}$/);

    // The archive: Parquet parts under events/site=demo/date=<day>/ (worker/test/archive.test.ts has the details).
    const objects = await archiveObjects('events/site=demo/');
    expect(objects.every((o) => /^events\/site=demo\/date=\d{4}-\d{2}-\d{2}\/[cpl]-[0-9a-f]+\.parquet$/.test(o.key))).toBe(true);
    const archived = objects.flatMap((o) => o.rows);
    expect(archived.map((r) => r.id)).toEqual(expect.arrayContaining([e1.i, e2.i]));
    expect(JSON.stringify(archived)).not.toContain('203.0.113.9');
  });

  it('a retried batch never duplicates rows', async () => {
    const token = await consentToken({ analytics: true });
    const body = { s: 'demo', t: token, a: id('anon'), e: [event(), event({ n: 'click' })] };
    for (let i = 0; i < 3; i++) expect((await post('/v1/e', body)).status).toBe(202);
    await settle();
    const { results } = await env.DB.prepare('SELECT id, COUNT(*) AS n FROM events WHERE anon_id = ? GROUP BY id').bind(body.a).all<{ n: number }>();
    expect(results).toHaveLength(2);
    expect(results.every((r) => r.n === 1)).toBe(true);
  });

  it('keeps the good events of a batch and names the bad ones', async () => {
    const token = await consentToken({ analytics: true });
    const good = event();
    const res = await post('/v1/e', { s: 'demo', t: token, a: id('anon'), e: [{ i: 'x' }, good, event({ n: '' }), event({ c: 'spying' })] });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: number; rejected: { index: number; field: string; code: string }[] };
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r) => [r.index, r.field])).toEqual([
      [0, 'e.0.i'],
      [2, 'e.2.n'],
      [3, 'e.3.c'],
    ]);
    expect(body.rejected[2]!.code).toBe('unknown_category');
    expect(await eventsOf({ ids: [good.i] })).toHaveLength(1);
  });
});

describe('consent enforced at the edge', () => {
  it('drops everything without a consent token (site not cookieless)', async () => {
    const e = event();
    const res = await post('/v1/e', { s: 'demo', a: id('anon'), e: [e] });
    expect(res.status).toBe(202);
    // The answer says why: no silent drops.
    expect(await res.json()).toEqual({ accepted: 0, dropped: 1, reasons: { consent_analytics: 1 }, rejected: [] });
    await settle();
    expect(await waitForRows('SELECT * FROM events WHERE id = ?', [e.i], 1, 500)).toHaveLength(0);
    const counts = await waitForRows("SELECT * FROM ingest_counts WHERE site_id = 'demo' AND name = 'dropped_consent_analytics'", [], 1);
    expect(counts.length).toBeGreaterThan(0);
  });

  it('drops marketing events when only analytics was granted, whatever the client claims', async () => {
    const token = await consentToken({ analytics: true, marketing: false });
    const analytics = event();
    const marketing = event({ n: 'ad_click', c: 'marketing' });
    const res = await post('/v1/e', { s: 'demo', t: token, a: id('anon'), g: { marketing: true }, e: [analytics, marketing] });
    expect(await res.json()).toMatchObject({ accepted: 1, dropped: 1, reasons: { consent_marketing: 1 } });
    await settle();
    const rows = await waitForRows('SELECT id FROM events WHERE id IN (?, ?)', [analytics.i, marketing.i], 2, 500);
    expect(rows.map((r) => r.id)).toEqual([analytics.i]);
  });

  it('ignores a forged token (signature does not verify)', async () => {
    const real = await consentToken({ analytics: false });
    const [payload, sig] = real.split('.');
    const claims = JSON.parse(atob(payload!.replace(/-/g, '+').replace(/_/g, '/')));
    claims.g = ['analytics', 'marketing', 'personalization'];
    const forged = `${btoa(JSON.stringify(claims)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}.${sig}`;
    const res = await post('/v1/e', { s: 'demo', t: forged, a: id('anon'), e: [event()] });
    expect(await res.json()).toMatchObject({ accepted: 0, dropped: 1, reasons: { consent_analytics: 1 }, notes: ['token_bad_signature'] });
    const counts = await waitForRows("SELECT * FROM ingest_counts WHERE name = 'token_bad_signature'", [], 1);
    expect(counts.length).toBeGreaterThan(0);
  });

  it('a token from another site grants nothing', async () => {
    const token = await consentToken({ analytics: true }, { s: 'demo-cookieless' });
    const res = await post('/v1/e', { s: 'demo', t: token, a: id('anon'), e: [event()] });
    expect(await res.json()).toMatchObject({ accepted: 0, dropped: 1 });
  });

  it('Sec-GPC: 1 denies marketing granted before the signal, but not one granted while it was sent', async () => {
    const before = await consentToken({ analytics: true, marketing: true });
    const r1 = await post('/v1/e', { s: 'demo', t: before, a: id('anon'), e: [event({ n: 'ad', c: 'marketing' }), event()] }, { 'sec-gpc': '1' });
    expect(await r1.json()).toMatchObject({ accepted: 1, dropped: 1, reasons: { consent_marketing: 1 }, notes: ['gpc_marketing'] });

    const after = await consentToken({ analytics: true, marketing: true }, { m: 'preferences', gpc: true }, { 'sec-gpc': '1' });
    const r2 = await post('/v1/e', { s: 'demo', t: after, a: id('anon'), e: [event({ n: 'ad', c: 'marketing' })] }, { 'sec-gpc': '1' });
    expect(await r2.json()).toMatchObject({ accepted: 1, dropped: 0 });
  });

  it('a decision taken automatically from GPC cannot grant marketing', async () => {
    const res = await post('/v1/consent', {
      s: 'demo', id: crypto.randomUUID(), ri: id('receipt'), g: { analytics: true, marketing: true, personalization: true }, v: '2026-11-01', m: 'gpc', ts: Date.now(), gpc: true,
    });
    expect(((await res.json()) as { granted: string[] }).granted).toEqual(['analytics']);
  });

  it('cookieless site: page views without consent are kept without any identifier', async () => {
    const pv = event();
    const click = event({ n: 'click' });
    const res = await post('/v1/e', { s: 'demo-cookieless', a: id('anon'), ss: id('sess'), u: 'user-1', e: [pv, click] });
    expect(await res.json()).toMatchObject({ accepted: 1, dropped: 1 });
    const [row] = await eventsOf({ ids: [pv.i] });
    expect(row).toMatchObject({ anon_id: null, session_id: null, user_id: null, cookieless: 1, consent: '' });
    expect(row!.visitor_hash).toMatch(/^[0-9a-f]{32}$/);
  });

  it('stale policy version: the token grants nothing and a new decision is refused with 409', async () => {
    const res = await post('/v1/consent', { s: 'demo', id: crypto.randomUUID(), ri: id('r'), g: { analytics: true }, v: '2020-01-01', m: 'banner', ts: Date.now() });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ error: { code: 'stale_policy', message: expect.any(String), field: 'v' } });
  });
});

describe('bots and CORS', () => {
  it('drops headless and known bots (demo site drops bots)', async () => {
    const token = await consentToken({ analytics: true });
    for (const ua of ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36', 'Googlebot/2.1 (+http://www.google.com/bot.html)', '']) {
      const res = await post('/v1/e', { s: 'demo', t: token, a: id('anon'), e: [event()] }, { 'user-agent': ua });
      expect(await res.json()).toMatchObject({ accepted: 0, dropped: 1, reasons: { bot: 1 } });
    }
  });

  it('refuses an origin that is not allowed, with no CORS header', async () => {
    const res = await post('/v1/e', { s: 'demo', e: [event()] }, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(await res.json()).toEqual({ error: { code: 'origin_not_allowed', message: expect.any(String), field: 'origin' } });
  });

  it('in development accepts any local origin for the demo site', async () => {
    const res = await post('/v1/e', { s: 'demo', e: [event()] }, { origin: 'http://localhost:5173' });
    expect(res.status).toBe(202);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  it('answers preflight only for configured origins', async () => {
    const { SELF } = await import('cloudflare:test');
    const ok = await SELF.fetch('http://collector.test/v1/e', { method: 'OPTIONS', headers: { origin: 'http://127.0.0.1:8787', 'access-control-request-method': 'POST' } });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8787');
    const bad = await SELF.fetch('http://collector.test/v1/e', { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(bad.status).toBe(403);
  });
});

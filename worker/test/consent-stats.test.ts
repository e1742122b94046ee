import { env, SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';

const T = (hm: string) => Date.parse(`2026-11-12T${hm}:00Z`);
const CATS = ['analytics', 'marketing', 'personalization'];
const receipt = (consent: string, at: string, method: string, granted: string[]) =>
  env.DB.prepare(
    'INSERT INTO consent_receipts (site_id, receipt_id, consent_id, granted, denied, policy_version, method, gpc, ts, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)',
  ).bind('demo', `r-${consent}-${at}`, consent, JSON.stringify(granted), JSON.stringify(CATS.filter((c) => !granted.includes(c))), '2026-11-01', method, method === 'gpc' ? 1 : 0, T(at));

beforeAll(async () => {
  // Page views as ingest stores them: with analytics consent an anonymous and a session id, cookieless only the daily hash.
  const pv = (id: string, cookieless: number) =>
    env.DB.prepare(
      "INSERT INTO events (site_id, id, name, category, ts, received_at, url, path, consent, cookieless, anon_id, session_id, visitor_hash) VALUES ('demo', ?1, 'pageview', 'analytics', ?2, ?2, 'https://s/', '/', '[]', ?3, ?4, ?5, ?6)",
    ).bind(id, T('10:00'), cookieless, cookieless ? null : `a-${id}`, cookieless ? null : `s-${id}`, cookieless ? `h-${id}` : null);
  await env.DB.batch([
    receipt('c1', '10:00', 'banner', CATS),
    receipt('c2', '11:00', 'banner', []),
    receipt('c3', '12:00', 'banner', ['analytics']),
    receipt('c4', '13:00', 'preferences', ['analytics', 'marketing']),
    receipt('c5', '14:00', 'gpc', ['analytics']),
    receipt('c1', '15:00', 'preferences', ['analytics', 'personalization']),
    pv('cs-1', 0),
    pv('cs-2', 0),
    pv('cs-3', 1),
    env.DB.prepare("INSERT INTO ingest_counts (site_id, message_id, name, day, n) VALUES ('demo', 'm1', 'dropped_consent_marketing', '2026-11-12', 4)"),
  ]);
});

describe('GET /api/v1/consent', () => {
  it('decisions by method and day, grant rates (decisions and current state), cookieless share, drops', async () => {
    const res = await SELF.fetch('http://collector.test/api/v1/consent?site_id=demo&date_range=2026-11-12,2026-11-12', { headers: { authorization: 'Bearer dev-admin-key' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      site_id: 'demo',
      date_range: ['2026-11-12', '2026-11-12'],
      decisions: 6,
      by_method: { banner_accept: 1, banner_reject: 1, banner_partial: 1, preferences: 2, gpc: 1 },
      grant_rate: { analytics: 83.33, marketing: 33.33, personalization: 33.33 },
      current_state: { decisions: 5, grant_rate: { analytics: 80, marketing: 20, personalization: 20 } },
      by_day: [{ day: '2026-11-12', decisions: 6, banner_accept: 1, banner_reject: 1, banner_partial: 1, preferences: 2, gpc: 1 }],
      pageviews: { total: 3, cookieless: 1, cookieless_share: 33.33 },
      dropped_for_consent: { marketing: 4 },
      server_dropped: {},
    });
  });

  it('validates the range; needs a key', async () => {
    const bad = await SELF.fetch('http://collector.test/api/v1/consent?site_id=demo&date_range=forever', { headers: { authorization: 'Bearer dev-admin-key' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.field).toBe('date_range');
    expect((await SELF.fetch('http://collector.test/api/v1/consent?site_id=demo')).status).toBe(401);
  });
});

import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
/** TP_KEY_RATE_PER_MINUTE in vitest.config.ts (the default is 600). */
const KEY_RATE_PER_MINUTE = 40;
import { sha256Hex } from '../src/crypto/hmac';

/** What `npm run key -- create` does: a random key, only its hash and scope stored. */
async function createKey(sites: string[], revoked = false): Promise<string> {
  const key = `tp_${crypto.randomUUID().replaceAll('-', '')}`;
  await env.DB.prepare('INSERT INTO api_keys (key_hash, prefix, name, sites, created_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)')
    .bind(await sha256Hex(key), key.slice(0, 10), 'test', JSON.stringify(sites), Date.now(), revoked ? Date.now() : null)
    .run();
  return key;
}
const get = (site: string, key?: string) =>
  SELF.fetch(`http://collector.test/api/v1/events?site_id=${site}&limit=1`, key ? { headers: { authorization: `Bearer ${key}` } } : {});

describe('API keys', () => {
  it('scoped keys: 200 for their sites, 403 for another, 401 without, wrong or revoked; stored only as a hash', async () => {
    const key = await createKey(['demo']);
    expect((await get('demo', key)).status).toBe(200);
    const other = await get('demo-cookieless', key);
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ error: { code: 'forbidden', field: 'site_id' } });
    expect((await get('demo')).status).toBe(401);
    expect((await get('demo', `${key}x`)).status).toBe(401);
    expect((await get('demo', await createKey(['demo'], true))).status).toBe(401);
    // A key for several sites.
    const both = await createKey(['demo', 'demo-cookieless']);
    expect((await get('demo-cookieless', both)).status).toBe(200);
    const stored = JSON.stringify((await env.DB.prepare('SELECT * FROM api_keys').all()).results);
    expect(stored).not.toContain(key);
    // The admin key reads every site; an unknown site is 404 only for a good key.
    expect((await get('demo-cookieless', 'dev-admin-key')).status).toBe(200);
    expect((await get('nope', 'dev-admin-key')).status).toBe(404);
    expect((await get('nope', key)).status).toBe(403);
  });

  it('rate-limits per key', async () => {
    const key = await createKey(['demo']);
    // Every authenticated request counts, refused ones too (cheap: no query behind a 403).
    const statuses = await Promise.all(Array.from({ length: KEY_RATE_PER_MINUTE }, () => get('demo-cookieless', key).then((r) => r.status)));
    expect(new Set(statuses)).toEqual(new Set([403]));
    const over = await get('demo', key);
    expect(over.status).toBe(429);
    expect(await over.json()).toMatchObject({ error: { code: 'rate_limited' } });
    // Clients learn when to come back (seconds, within the minute window).
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(over.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    // Another key is not affected.
    expect((await get('demo', await createKey(['demo']))).status).toBe(200);
  }, 60_000);
});

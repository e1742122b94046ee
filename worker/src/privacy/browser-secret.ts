import type { Context } from 'hono';
import { digestsEqual, sha256Hex } from '../crypto/hmac';
import type { AppEnv } from '../env';
import { apiError, rateLimited } from '../http/errors';

export const ME_LIMIT_PER_HOUR = 20;

/**
 * Authorizes a /v1/me call: `Authorization: Bearer <anonymous id>.<browser secret>`. The secret
 * lives only in that browser; the collector has its SHA-256. Knowing an anonymous id alone (it
 * travels with every event) opens nothing. Rate-limited per anonymous id.
 */
export async function browserAuth(c: Context<AppEnv>, siteId: string, now: number): Promise<string> {
  const m = /^Bearer ([A-Za-z0-9_-]{8,64})\.([A-Za-z0-9_-]{32,128})$/.exec(c.req.header('authorization') ?? '');
  if (!m) throw apiError(401, 'unauthorized', 'send Authorization: Bearer <anonymous id>.<browser secret>', 'authorization');
  const [, anon, secret] = m as unknown as [string, string, string];
  const db = c.env.DB;
  const [stored, recent] = await db.batch<{ secret_hash?: string; n?: number; oldest?: number }>([
    db.prepare('SELECT secret_hash FROM browser_secrets WHERE site_id = ?1 AND anon_id = ?2').bind(siteId, anon),
    db.prepare('SELECT count(*) AS n, min(ts) AS oldest FROM me_requests WHERE site_id = ?1 AND anon_id = ?2 AND ts > ?3').bind(siteId, anon, now - 3600_000),
  ]);
  const hash = stored!.results[0]?.secret_hash;
  // Compare digests in constant time; an unknown id costs the same as a wrong secret.
  const ok = digestsEqual(await sha256Hex(secret), hash ?? '0'.repeat(64));
  if (!hash || !ok) throw apiError(401, 'unauthorized', 'unknown browser or wrong secret', 'authorization');
  // A sliding hour: the oldest call in it leaves first.
  if ((recent!.results[0]?.n ?? 0) >= ME_LIMIT_PER_HOUR) throw rateLimited(`at most ${ME_LIMIT_PER_HOUR} requests an hour`, 'authorization', (recent!.results[0]!.oldest! + 3600_000 - now) / 1000);
  await db.prepare('INSERT INTO me_requests (site_id, anon_id, ts) VALUES (?1, ?2, ?3)').bind(siteId, anon, now).run();
  return anon;
}

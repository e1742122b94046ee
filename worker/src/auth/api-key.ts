import type { Context } from 'hono';
import { secret } from '../config/secrets';
import { getSite } from '../config/sites';
import { digestsEqual, sha256Hex } from '../crypto/hmac';
import type { AppEnv } from '../env';
import { apiError, rateLimited } from '../http/errors';

/** Requests per key and minute (TP_KEY_RATE_PER_MINUTE overrides), per isolate: a fixed window; production can add Cloudflare's rate-limiting rules. */
export const KEY_RATE_PER_MINUTE = 600;
const CACHE_MS = 60_000;

interface KeyInfo {
  /** site ids, or '*' for the admin key */
  sites: string[] | '*';
  revoked: boolean;
}
const keys = new Map<string, { info: KeyInfo | null; at: number }>();
const windows = new Map<string, { start: number; n: number }>();

/** Looks a key up by its SHA-256 (D1 `api_keys`), cached for a minute per isolate so revocation takes effect within one. */
async function lookup(db: D1Database, hash: string, now: number): Promise<KeyInfo | null> {
  const hit = keys.get(hash);
  if (hit && now - hit.at < CACHE_MS) return hit.info;
  const row = await db.prepare('SELECT sites, revoked_at FROM api_keys WHERE key_hash = ?1').bind(hash).first<{ sites: string; revoked_at: number | null }>();
  const info = row ? { sites: JSON.parse(row.sites) as string[], revoked: row.revoked_at !== null } : null;
  if (keys.size > 1000) keys.clear();
  keys.set(hash, { info, at: now });
  return info;
}

function limit(hash: string, now: number, max: number): void {
  const w = windows.get(hash);
  if (!w || now - w.start >= 60_000) {
    if (windows.size > 1000) windows.clear();
    windows.set(hash, { start: now, n: 1 });
    return;
  }
  if (++w.n > max) {
    const wait = (w.start + 60_000 - now) / 1000;
    throw rateLimited(`at most ${max} requests a minute per key; retry in ${Math.ceil(wait)} s`, 'authorization', wait);
  }
}

/**
 * Authorizes a marketer / back-end call for `siteId`: `Authorization: Bearer <key>`.
 * 401 without a key, with an unknown or revoked one; 403 for a site outside the key's scope; 404 for
 * an unknown site (only after the key is known good, so the site list doesn't leak); 429 over the
 * per-key rate. Keys are stored as SHA-256 only (`npm run key -- create --site demo`); the admin key
 * (TP_ADMIN_KEY; `dev-admin-key` in local development) covers every site.
 */
export async function authorize(c: Context<AppEnv>, siteId: string | undefined): Promise<string> {
  const header = c.req.header('authorization') ?? '';
  const match = /^Bearer\s+(\S{1,256})$/i.exec(header);
  if (!match) throw apiError(401, 'unauthorized', 'send Authorization: Bearer <api key>', 'authorization');
  const now = Date.now();
  const hash = await sha256Hex(match[1]!);
  const admin = secret(c.env, 'TP_ADMIN_KEY');
  const info: KeyInfo | null =
    admin && digestsEqual(hash, await sha256Hex(admin)) ? { sites: '*', revoked: false } : await lookup(c.env.DB, hash, now);
  if (!info || info.revoked) throw apiError(401, 'unauthorized', 'unknown or revoked api key', 'authorization');
  // The operator's admin key is not throttled; issued keys are.
  if (info.sites !== '*') limit(hash, now, Number(c.env.TP_KEY_RATE_PER_MINUTE) || KEY_RATE_PER_MINUTE);
  if (!siteId) throw apiError(400, 'invalid_field', 'site_id is required', 'site_id');
  if (info.sites !== '*' && !info.sites.includes(siteId)) throw apiError(403, 'forbidden', `this key is not allowed to read site "${siteId}"`, 'site_id');
  if (!getSite(siteId)) throw apiError(404, 'unknown_site', `no site "${siteId}" is configured`, 'site_id');
  return siteId;
}

import type { Context } from 'hono';
import { secret } from '../config/secrets';
import { getSite } from '../config/sites';
import { digestsEqual, sha256Hex } from '../crypto/hmac';
import type { AppEnv, Env } from '../env';
import { apiError, rateLimited } from '../http/errors';
import { cachedLookup, minuteWindow } from './key-cache';
import { sessionKeyHash } from './session';

/** Requests per key and minute (TP_KEY_RATE_PER_MINUTE overrides), per isolate: a fixed window; production can add Cloudflare's rate-limiting rules. */
export const KEY_RATE_PER_MINUTE = 600;

export interface KeyInfo {
  /** site ids, or '*' for the admin key */
  sites: string[] | '*';
  revoked: boolean;
}
/** Looks a key up by its SHA-256 (D1 `api_keys`), cached for a minute per isolate so revocation takes effect within one. */
const lookup = cachedLookup(async (db, hash): Promise<KeyInfo | null> => {
  const row = await db.prepare('SELECT sites, revoked_at FROM api_keys WHERE key_hash = ?1').bind(hash).first<{ sites: string; revoked_at: number | null }>();
  return row ? { sites: JSON.parse(row.sites) as string[], revoked: row.revoked_at !== null } : null;
});
const window = minuteWindow();

function limit(hash: string, now: number, max: number): void {
  const wait = window(hash, now, max);
  if (wait !== null) throw rateLimited(`at most ${max} requests a minute per key; retry in ${Math.ceil(wait)} s`, 'authorization', wait);
}

/** The key whose SHA-256 is `hash`: the admin key (every site), an issued key, or null. The dashboard's sign-in checks keys with it. */
export async function keyInfo(env: Env, hash: string, now = Date.now()): Promise<KeyInfo | null> {
  const admin = secret(env, 'TP_ADMIN_KEY');
  return admin && digestsEqual(hash, await sha256Hex(admin)) ? { sites: '*', revoked: false } : lookup(env.DB, hash, now);
}

/**
 * Authorizes a marketer / back-end call for `siteId`: `Authorization: Bearer <key>` (or a dashboard session, standing for one).
 * 401 without a key, with an unknown or revoked one; 403 for a site outside the key's scope; 404 for
 * an unknown site (only after the key is known good, so the site list doesn't leak); 429 over the
 * per-key rate. Keys are stored as SHA-256 only (`npm run key -- create --site demo`); the admin key
 * (TP_ADMIN_KEY; `dev-admin-key` in local development) covers every site.
 */
export async function authorize(c: Context<AppEnv>, siteId: string | undefined): Promise<string> {
  const header = c.req.header('authorization') ?? '';
  const match = /^Bearer\s+(\S{1,256})$/i.exec(header);
  const now = Date.now();
  // Without a Bearer key, the dashboard's session cookie may stand for the key that signed in (auth/session.ts: CSRF-checked there).
  const hash = match ? await sha256Hex(match[1]!) : await sessionKeyHash(c, now);
  if (!hash) throw apiError(401, 'unauthorized', 'send Authorization: Bearer <api key>', 'authorization');
  const info = await keyInfo(c.env, hash, now);
  if (!info || info.revoked) throw apiError(401, 'unauthorized', 'unknown or revoked api key', 'authorization');
  // The operator's admin key is not throttled; issued keys are.
  if (info.sites !== '*') limit(hash, now, Number(c.env.TP_KEY_RATE_PER_MINUTE) || KEY_RATE_PER_MINUTE);
  if (!siteId) throw apiError(400, 'invalid_field', 'site_id is required', 'site_id');
  if (info.sites !== '*' && !info.sites.includes(siteId)) throw apiError(403, 'forbidden', `this key is not allowed to read site "${siteId}"`, 'site_id');
  if (!getSite(siteId)) throw apiError(404, 'unknown_site', `no site "${siteId}" is configured`, 'site_id');
  return siteId;
}

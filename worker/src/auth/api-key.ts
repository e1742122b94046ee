import type { Context } from 'hono';
import { secret } from '../config/secrets';
import { getSite } from '../config/sites';
import { sha256Hex, timingSafeEqual } from '../crypto/hmac';
import type { AppEnv } from '../env';
import { apiError } from '../http/errors';

/**
 * Authorizes a marketer / back-end call for `siteId`: `Authorization: Bearer <key>`.
 * 401 without a key or with a wrong one, 403 for a site outside the key's scope, 404 for an
 * unknown site (only after the key is known good, so the site list doesn't leak).
 * The admin key (TP_ADMIN_KEY) covers every site; compared as SHA-256 digests in constant time.
 */
export async function authorize(c: Context<AppEnv>, siteId: string | undefined): Promise<string> {
  const header = c.req.header('authorization') ?? '';
  const match = /^Bearer\s+(\S{1,256})$/i.exec(header);
  if (!match) throw apiError(401, 'unauthorized', 'send Authorization: Bearer <api key>', 'authorization');
  const admin = secret(c.env, 'TP_ADMIN_KEY');
  const given = await sha256Hex(match[1]!);
  const ok = admin ? timingSafeEqual(enc(given), enc(await sha256Hex(admin))) : false;
  if (!ok) throw apiError(401, 'unauthorized', 'unknown api key', 'authorization');
  if (!siteId) throw apiError(400, 'invalid_field', 'site_id is required', 'site_id');
  if (!getSite(siteId)) throw apiError(404, 'unknown_site', `no site "${siteId}" is configured`, 'site_id');
  return siteId;
}

const enc = (s: string) => new TextEncoder().encode(s);

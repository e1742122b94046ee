import { Hono } from 'hono';
import { keyInfo, type KeyInfo } from '../../auth/api-key';
import { assertSameOrigin, currentSession, endSession, startSession } from '../../auth/session';
import { CONFIG } from '../../config/sites';
import { sha256Hex } from '../../crypto/hmac';
import type { AppEnv } from '../../env';
import { readJson } from '../../http/body';
import { apiError } from '../../http/errors';

/** A site as the dashboard needs it: what to call it and how to read its dates. Goals and currency when configured (CONTRACT §5). */
function sitesOf(scope: KeyInfo['sites']) {
  const ids = scope === '*' ? Object.keys(CONFIG.sites) : scope.filter((id) => Object.hasOwn(CONFIG.sites, id));
  return ids.map((id) => {
    // goals / currency arrive with the journey KPIs (issue 13); read without assuming the schema has them yet.
    const site = CONFIG.sites[id]! as (typeof CONFIG.sites)[string] & { goals?: unknown; currency?: unknown };
    return {
      id,
      name: site.name,
      timezone: site.timezone,
      categories: site.categories.map((x) => x.id),
      ...(Array.isArray(site.goals) && { goals: site.goals }),
      ...(typeof site.currency === 'string' && { currency: site.currency }),
    };
  });
}

const unauthorized = () => apiError(401, 'unauthorized', 'sign in with an API key', 'session');

/**
 * The dashboard's session endpoints (auth/session.ts has the rules):
 * - `POST /dashboard/api/session` `{"key"}` — signs in: a valid key starts a session cookie; the answer lists the key's sites,
 *   never the key. 401 for an unknown or revoked key, 403 from another origin.
 * - `GET /dashboard/api/session` — the current session's sites and expiry, or 401.
 * - `DELETE /dashboard/api/session` — signs out (same-origin only): the session is deleted server-side.
 */
export const sessionRoute = new Hono<AppEnv>()
  .post('/dashboard/api/session', async function signIn(c) {
    assertSameOrigin(c);
    const body = (await readJson(c.req.raw, 1024)) as { key?: unknown } | null;
    const key = typeof body?.key === 'string' ? body.key.trim() : '';
    if (!key || key.length > 256) throw apiError(400, 'invalid_field', 'send {"key": "<api key>"}', 'key');
    const hash = await sha256Hex(key);
    const info = await keyInfo(c.env, hash);
    if (!info || info.revoked) throw apiError(401, 'unauthorized', 'unknown or revoked API key', 'key');
    const { expiresAt } = await startSession(c, hash);
    c.header('Cache-Control', 'no-store');
    return c.json({ sites: sitesOf(info.sites), expires_at: new Date(expiresAt).toISOString() });
  })
  .get('/dashboard/api/session', async function session(c) {
    const s = await currentSession(c);
    // The key is re-checked: revoking it ends its sessions (within the key cache's minute).
    const info = s && (await keyInfo(c.env, s.keyHash));
    if (!s || !info || info.revoked) throw unauthorized();
    c.header('Cache-Control', 'no-store');
    return c.json({ sites: sitesOf(info.sites), expires_at: new Date(s.expiresAt).toISOString() });
  })
  .delete('/dashboard/api/session', async function signOut(c) {
    assertSameOrigin(c);
    await endSession(c);
    c.header('Cache-Control', 'no-store');
    return c.body(null, 204);
  });

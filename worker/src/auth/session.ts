import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { sha256Hex, toBase64Url } from '../crypto/hmac';
import type { AppEnv } from '../env';
import { apiError } from '../http/errors';

/**
 * Dashboard sessions: the marketer types an API key once, the collector answers with a session cookie, and the page never
 * holds the key (nothing in localStorage, sessionStorage or the URL). The session then stands for that key in `authorize()`
 * (auth/api-key.ts), so the dashboard reads the same API, with the same scope and rate limit, as a Bearer caller.
 *
 * - The cookie is a random 256-bit token; D1 (`dashboard_sessions`) keeps only its SHA-256, the key's SHA-256 and the expiry.
 * - `HttpOnly` (no script reads it), `SameSite=Strict` (no cross-site request carries it), `Path=/`, a fixed lifetime,
 *   and outside local development `Secure` with the `__Host-` prefix (RFC 6265bis §4.1.3.2: no Domain attribute can widen it).
 * - CSRF: SameSite=Strict does not cover sibling subdomains (a site on shop.example.com is "same-site" with a collector on
 *   t.example.com), so every state-changing or data request made with the cookie must also carry an `Origin` equal to the
 *   collector's own (Fetch Standard: browsers always send it on POST and DELETE). A refused request reads and changes nothing.
 * - Least privilege: the cookie authorizes only the read endpoints the dashboard calls (`SESSION_PATHS`); everything else —
 *   erasure, raw exports, profiles — still needs `Authorization: Bearer`.
 */

/** How long a session lives, from sign-in (absolute, not sliding: a stolen cookie stops working on its own). */
export const SESSION_TTL_MS = 12 * 3_600_000;

/** What a session may call: the dashboard's data (CONTRACT §3, §5). Anything else ignores the cookie. */
export const SESSION_PATHS: readonly string[] = ['/api/v1/query', '/api/v1/funnel', '/api/v1/consent', '/api/v1/journey', '/api/v1/retention'];

/** `__Host-` needs Secure, which a plain-http local collector can't set; the dev build uses a plain name instead. */
const COOKIE = 'tp_session';
const cookieSecurity = () => (__TP_DEV__ ? { secure: false } : { secure: true, prefix: 'host' as const });

/**
 * Refuses a request whose `Origin` is not the collector's own (403 `cross_origin`). Called for every non-GET made with the
 * session cookie, and for sign-in and sign-out themselves (a forged sign-in would log the victim into the attacker's key).
 */
export function assertSameOrigin(c: Context<AppEnv>): void {
  const origin = c.req.header('origin');
  if (!origin || origin !== new URL(c.req.url).origin) {
    throw apiError(403, 'cross_origin', 'this request must come from the dashboard page itself', 'origin');
  }
}

/** Starts a session for the key whose SHA-256 is `keyHash` and sets its cookie. Expired sessions are swept here. */
export async function startSession(c: Context<AppEnv>, keyHash: string, now = Date.now()): Promise<{ expiresAt: number }> {
  const token = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
  const expiresAt = now + SESSION_TTL_MS;
  const db = c.env.DB;
  await db.batch([
    db.prepare('DELETE FROM dashboard_sessions WHERE expires_at <= ?1').bind(now),
    db.prepare('INSERT INTO dashboard_sessions (token_hash, key_hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)').bind(await sha256Hex(token), keyHash, now, expiresAt),
  ]);
  setCookie(c, COOKIE, token, {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/',
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
    ...cookieSecurity(),
  });
  return { expiresAt };
}

/** The session named by the request's cookie, if it exists and has not expired. */
export async function currentSession(c: Context<AppEnv>, now = Date.now()): Promise<{ tokenHash: string; keyHash: string; expiresAt: number } | null> {
  const token = getCookie(c, COOKIE, __TP_DEV__ ? undefined : 'host');
  if (!token || token.length > 100) return null;
  const tokenHash = await sha256Hex(token);
  const row = await c.env.DB.prepare('SELECT key_hash, expires_at FROM dashboard_sessions WHERE token_hash = ?1')
    .bind(tokenHash)
    .first<{ key_hash: string; expires_at: number }>();
  if (!row || row.expires_at <= now) return null;
  return { tokenHash, keyHash: row.key_hash, expiresAt: row.expires_at };
}

/**
 * For `authorize()`: the SHA-256 of the key behind the request's session, or null when the request has no usable session
 * (no cookie, unknown or expired, or a path the session does not cover). A cross-origin non-GET with a session is a 403.
 */
export async function sessionKeyHash(c: Context<AppEnv>, now = Date.now()): Promise<string | null> {
  if (!SESSION_PATHS.includes(c.req.path)) return null;
  const session = await currentSession(c, now);
  if (!session) return null;
  if (c.req.method !== 'GET' && c.req.method !== 'HEAD') assertSameOrigin(c);
  return session.keyHash;
}

/** Sign-out: the stored session is deleted (the token is dead wherever it was copied) and the cookie cleared. */
export async function endSession(c: Context<AppEnv>): Promise<void> {
  const session = await currentSession(c);
  if (session) await c.env.DB.prepare('DELETE FROM dashboard_sessions WHERE token_hash = ?1').bind(session.tokenHash).run();
  deleteCookie(c, COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', ...cookieSecurity() });
}

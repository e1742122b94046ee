import type { Context } from 'hono';
import { originAllowed } from '../config/secrets';
import type { SiteConfig } from '../config/schema';
import type { AppEnv } from '../env';
import { apiError } from './errors';

/**
 * Per-site CORS for the public endpoints. A browser always sends `Origin` on these POSTs;
 * a disallowed origin gets 403 and no `Access-Control-Allow-Origin`, so the page can't read
 * anything either. Requests without `Origin` (server-to-server, curl) are not browser
 * requests and are let through: the allow-list defends visitors' browsers, it is not auth.
 */
export function checkOrigin(c: Context<AppEnv>, site: SiteConfig): void {
  const origin = c.req.header('origin');
  if (!origin) return;
  if (!originAllowed(c.env, site, origin)) {
    throw apiError(403, 'origin_not_allowed', `origin ${origin} is not allowed for site ${site.id}`, 'origin');
  }
  c.header('Access-Control-Allow-Origin', origin);
  c.header('Access-Control-Allow-Credentials', 'false');
  c.header('Vary', 'Origin');
}

/**
 * Preflight for `application/json` callers and for `/v1/me` (which sends a custom header).
 * The site isn't known before the body is read, so any origin configured for any site may preflight;
 * the real request is then checked against its own site.
 */
export function preflight(c: Context<AppEnv>, allowedAnywhere: (origin: string) => boolean): Response {
  const origin = c.req.header('origin');
  if (!origin || !allowedAnywhere(origin)) return c.body(null, 403);
  return c.body(null, 204, {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type, Authorization, X-TP-Secret',
    'Access-Control-Max-Age': '86400',
    Vary: 'Origin',
  });
}

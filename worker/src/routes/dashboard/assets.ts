import { Hono } from 'hono';
import type { AppEnv } from '../../env';
import { DASHBOARD } from '../../generated/dashboard';

/**
 * The page may load only its own script and stylesheet and talk only to this origin (no inline script or style: uPlot sets
 * styles through the CSSOM, which CSP allows); it can't be framed (clickjacking the sign-in) and leaks no referrer.
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * GET /dashboard/ — the marketer dashboard, built by dashboard/build.mjs into the Worker itself, so every build serves it.
 * The page revalidates on every load (ETag → 304); its script and stylesheet are named by their content hash and cached
 * for a year (a new build names new files).
 */
export const assetsRoute = new Hono<AppEnv>()
  .get('/dashboard', (c) => c.redirect(`/dashboard/${new URL(c.req.url).search}`, 301))
  .get('/dashboard/:file{[A-Za-z0-9._-]*}', function serveDashboard(c) {
    const name = c.req.param('file') || 'index.html';
    const file = Object.hasOwn(DASHBOARD, name) ? DASHBOARD[name]! : null;
    if (!file) return c.json({ error: { code: 'not_found', message: 'no such file' } }, 404);
    const page = name === 'index.html';
    const headers: Record<string, string> = {
      'Content-Type': file.type,
      'Cache-Control': page ? 'no-cache' : 'public, max-age=31536000, immutable',
      ETag: file.etag,
      'X-Content-Type-Options': 'nosniff',
      ...(page && { 'Content-Security-Policy': CSP, 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY' }),
    };
    if (c.req.header('if-none-match') === file.etag) return c.body(null, 304, headers);
    return c.body(file.body, 200, headers);
  });

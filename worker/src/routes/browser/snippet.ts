import { Hono } from 'hono';
import type { AppEnv } from '../../env';
import { SCRIPTS } from '../../generated/snippet';

/**
 * GET /tp.js — the built snippet, and GET /tp-panel.js — the preferences dialog it loads on demand.
 * Short max-age with a long stale-while-revalidate: a fix reaches visitors within minutes while
 * repeat views never wait for the network; ETag revalidation is cheap.
 */
export const snippetRoute = new Hono<AppEnv>().get('/:file{tp(-panel)?\\.js}', function serveSnippet(c) {
  const { code, etag } = SCRIPTS[c.req.param('file')]!;
  const headers = {
    'Content-Type': 'application/javascript; charset=utf-8',
    'Cache-Control': 'public, max-age=300, stale-while-revalidate=86400',
    ETag: etag,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Resource-Policy': 'cross-origin',
  };
  if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers);
  return c.body(code, 200, headers);
});

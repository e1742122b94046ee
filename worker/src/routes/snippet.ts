import { Hono } from 'hono';
import { SNIPPET, SNIPPET_ETAG } from '../generated/snippet';
import type { AppEnv } from '../env';

/**
 * GET /tp.js — the built snippet. Short max-age with a long stale-while-revalidate: a fix reaches
 * visitors within minutes while repeat views never wait for the network; ETag revalidation is cheap.
 */
export const snippetRoute = new Hono<AppEnv>().get('/tp.js', function serveSnippet(c) {
  const headers = {
    'Content-Type': 'application/javascript; charset=utf-8',
    'Cache-Control': 'public, max-age=300, stale-while-revalidate=86400',
    ETag: SNIPPET_ETAG,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Resource-Policy': 'cross-origin',
  };
  if (c.req.header('if-none-match') === SNIPPET_ETAG) return c.body(null, 304, headers);
  return c.body(SNIPPET, 200, headers);
});

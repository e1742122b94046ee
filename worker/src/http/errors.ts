import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ConfigError } from '../config/secrets';

export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/**
 * A client error with the JSON body every endpoint answers with.
 * @example throw apiError(400, 'invalid_json', 'body is not JSON', 'body')
 */
export function apiError(status: ContentfulStatusCode, code: string, message: string, field?: string): HTTPException {
  const body: ErrorBody = { error: field ? { code, message, field } : { code, message } };
  return new HTTPException(status, { res: Response.json(body, { status }) });
}

/**
 * A 429 with `Retry-After` (RFC 9110 §10.2.3: seconds) so that clients back off for the right time.
 * @example throw rateLimited('at most 20 requests an hour', 'authorization', 3600)
 */
export function rateLimited(message: string, field: string, retryAfterS: number, headers: Record<string, string> = {}): HTTPException {
  const body: ErrorBody = { error: { code: 'rate_limited', message, field } };
  const seconds = String(Math.max(1, Math.ceil(retryAfterS)));
  return new HTTPException(429, { res: Response.json(body, { status: 429, headers: { 'Retry-After': seconds, ...headers } }) });
}

/**
 * The one error handler. 4xx come from `apiError`; anything else is a bug or an outage:
 * logged with its detail, answered with a generic body (the client learns nothing internal).
 */
export function onError(err: Error, c: Context): Response {
  if (err instanceof HTTPException) {
    const res = err.getResponse();
    // Preserve CORS headers a middleware already set on the context.
    const acao = c.res.headers.get('Access-Control-Allow-Origin');
    if (acao && !res.headers.has('Access-Control-Allow-Origin')) {
      const copy = new Response(res.body, res);
      copy.headers.set('Access-Control-Allow-Origin', acao);
      copy.headers.set('Vary', 'Origin');
      return copy;
    }
    return res;
  }
  // Cloudflare's ray id names the request in its logs too; locally there is none, so a fresh id.
  const requestId = c.req.header('cf-ray') ?? crypto.randomUUID();
  console.error(JSON.stringify({ level: 'error', msg: err.message, name: err.name, stack: err.stack, requestId, path: c.req.path }));
  if (err instanceof ConfigError) {
    return Response.json({ error: { code: 'misconfigured', message: 'the collector is misconfigured; see its logs' } }, { status: 500 });
  }
  return Response.json({ error: { code: 'internal', message: 'internal error', requestId } }, { status: 500 });
}

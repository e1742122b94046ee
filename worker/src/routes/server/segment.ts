import type { Context } from 'hono';
import { Hono } from 'hono';
import { authorizeWrite, writeKeyOf, type WriteKey } from '../../auth/write-key';
import type { AppEnv } from '../../env';
import { checkOrigin } from '../../http/cors';
import { apiError } from '../../http/errors';
import { MAX_BATCH_BYTES, MAX_EVENT_BYTES, readSegmentBody } from '../../server-events/body';
import { ingestCalls } from '../../server-events/ingest';
import { instant, type Json, type SegmentType } from '../../server-events/message';

/**
 * Segment's HTTP Tracking API, for site back ends and the tools that speak it (analytics-node, analytics-python, the
 * mobile SDKs, …): `POST /segment/v1/{batch,track,identify,page,screen,group,alias}`, authorized by a write key (HTTP
 * Basic user name, or `writeKey` in the body; auth/write-key.ts). And the short paths analytics.js (analytics-next)
 * posts to when its Segment.io `apiHost` points here — `/b` (its batching mode) and the type's first letter
 * (`/t`, `/i`, `/p`, `/s`, `/g`, `/a`) — under `/segment/v1/` and under `/v1/`, where none of them collides with the
 * snippet's own paths (`/v1/e` stays the snippet's).
 *
 * Everything below the route is in server-events/ (validation, consent, identity, mapping, enqueue).
 */
const CALLS: Record<string, SegmentType> = {
  track: 'track', identify: 'identify', page: 'page', screen: 'screen', group: 'group', alias: 'alias',
  t: 'track', i: 'identify', p: 'page', s: 'screen', g: 'group', a: 'alias',
};
/** Segment's documented ceiling per batch request; the 500 KB limit usually comes first. */
const MAX_BATCH_ITEMS = 2500;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The key, checked before the body is read when it comes in the Authorization header (a caller without a key learns
 * nothing about its body), else taken from the body. A server key in a request a browser sent (it carries `Origin`)
 * is refused: a key in a page is public, and a server key links identities. Browser keys answer only their site's origins.
 */
async function authorized(c: Context<AppEnv>, maxBytes: number): Promise<{ key: WriteKey; body: unknown }> {
  const fromHeader = writeKeyOf(c);
  let key = fromHeader ? await authorizeWrite(c, fromHeader) : undefined;
  const body = await readSegmentBody(c.req.raw, maxBytes);
  const named = writeKeyOf(c, body);
  key ??= await authorizeWrite(c, named);
  if (key.kind === 'server' && c.req.header('origin')) {
    throw apiError(403, 'server_key_in_browser', 'a server write key must not be used from a page (anyone can read it there): create a --browser key for analytics.js', 'authorization');
  }
  if (key.kind === 'browser') checkOrigin(c, key.site);
  return { key, body };
}

async function batch(c: Context<AppEnv>) {
  const now = Date.now();
  const { key, body } = await authorized(c, MAX_BATCH_BYTES);
  if (!isObject(body) || !Array.isArray(body.batch)) throw apiError(400, 'invalid_field', 'the body must be {"batch": [calls…]}', 'batch');
  if (body.batch.length === 0) throw apiError(400, 'invalid_field', 'the batch is empty', 'batch');
  if (body.batch.length > MAX_BATCH_ITEMS) throw apiError(400, 'invalid_field', `at most ${MAX_BATCH_ITEMS} calls per batch`, 'batch');
  if (body.context !== undefined && body.context !== null && !isObject(body.context)) throw apiError(400, 'invalid_field', 'must be an object', 'context');
  const sentAt = instant(body.sentAt);
  if (sentAt === null) throw apiError(400, 'invalid_field', 'must be an ISO 8601 date-time', 'sentAt');
  const { status, answer } = await ingestCalls({
    env: c.env, key, items: body.batch, context: isObject(body.context) ? body.context : undefined, sentAt, prefix: 'batch.', now,
  });
  return c.json(answer, status);
}

async function single(c: Context<AppEnv>) {
  const now = Date.now();
  const type = Object.hasOwn(CALLS, c.req.param('call') ?? '') ? CALLS[c.req.param('call')!] : undefined;
  if (!type) throw apiError(404, 'not_found', 'no such endpoint');
  const { key, body } = await authorized(c, MAX_EVENT_BYTES);
  const { status, answer } = await ingestCalls({ env: c.env, key, items: [body], type, prefix: '', now });
  return c.json(answer, status);
}

export const segmentRoute = new Hono<AppEnv>()
  .post('/segment/v1/batch', batch)
  .post('/segment/v1/b', batch)
  .post('/v1/b', batch)
  .post('/segment/v1/:call{[a-z]+}', single)
  // One letter only: `/v1/e` (the snippet's), `/v1/identify`, `/v1/consent`, `/v1/me` … are never matched here.
  .post('/v1/:call{[tipsga]}', single);

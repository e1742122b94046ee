import { SEGMENT_TYPES } from './message';

/**
 * The Segment-compatible paths for GET /api/openapi.json (routes/api/openapi.ts). The calls are checked by a hand-written
 * validator (message.ts: it runs per event), so their schema is written here, next to it; it describes, it doesn't
 * validate. Security: the `writeKey` scheme (HTTP Basic, the key as user name), or `writeKey` in the body.
 */
const call = {
  type: 'object',
  description: "One call of Segment's HTTP Tracking API: userId or anonymousId required; at most 32 KB",
  properties: {
    type: { type: 'string', enum: [...SEGMENT_TYPES], description: 'in a batch; implied by the path otherwise' },
    userId: { type: 'string', maxLength: 256 },
    anonymousId: { type: 'string', maxLength: 256, description: "the browser's tp.anonymousId() joins its history" },
    messageId: { type: 'string', maxLength: 100, description: 'the idempotency key: a retry stores nothing twice' },
    event: { type: 'string', maxLength: 128, description: 'track' },
    name: { type: 'string', maxLength: 128, description: 'page, screen' },
    previousId: { type: 'string', description: 'alias: the anonymous id to link to userId' },
    groupId: { type: 'string', description: 'group' },
    properties: { type: 'object', description: 'category (a consent category, default analytics), revenue (major units), currency (ISO 4217, default USD), …' },
    traits: { type: 'object' },
    context: { type: 'object', description: 'userAgent, location, campaign, page, consent.categoryPreferences (sites with server_consent "declared"); ip is never stored' },
    timestamp: { type: 'string', format: 'date-time' },
    sentAt: { type: 'string', format: 'date-time' },
    writeKey: { type: 'string' },
  },
};
const answer = {
  description: 'what became of each call: {"success","accepted","dropped","dropped_reasons":{"no_consent"|"denied"|"stale_policy"|"expired"|"erased"|"bot": n},"rejected":[{"index","code","message","field"}],"left_out"?}',
};
const failure = (what: string) => ({ description: what, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
const responses = {
  '200': answer,
  '400': failure('no valid call, a call over 32 KB (the others are still taken), a body over its limit, not JSON'),
  '401': failure('no write key, or an unknown or revoked one (API keys can only read)'),
  '403': failure("a server key in a browser's request; a browser key from another origin"),
  '415': failure('not JSON, or an encoding other than gzip'),
  '429': failure('over the per-key rate (Retry-After)'),
};
const post = (summary: string, schema: object) => ({ post: { summary, security: [{ writeKey: [] }], requestBody: { required: true, content: { 'application/json': { schema } } }, responses } });

export const writeKeyScheme = { type: 'http', scheme: 'basic', description: 'a write key as the user name, empty password (npm run key -- create --site <id> --write)' };

export function segmentPaths(): Record<string, object> {
  const paths: Record<string, object> = {
    '/segment/v1/batch': post('Segment-compatible batch (≤ 500 KB): {"batch":[calls…],"context"?,"sentAt"?,"writeKey"?}', {
      type: 'object', required: ['batch'], properties: { batch: { type: 'array', items: call, maxItems: 2500 }, context: { type: 'object' }, sentAt: { type: 'string', format: 'date-time' }, writeKey: { type: 'string' } },
    }),
  };
  for (const t of SEGMENT_TYPES) paths[`/segment/v1/${t}`] = post(`Segment-compatible ${t} (one call, ≤ 32 KB)`, call);
  return paths;
}

import { Hono } from 'hono';
import { z } from 'zod';
import { batchSchema, consentSchema, identifySchema } from '../../../../shared/schema';
import type { AppEnv } from '../../env';
import { funnelSchema, journeySchema, querySchema, retentionSchema } from '../../query/schema';
import { registerSchema } from '../browser/me';
import { segmentPaths, writeKeyScheme } from '../../server-events/openapi';

/** JSON Schema (2020-12, as OpenAPI 3.1 uses) of what a zod schema accepts. */
const schema = (s: z.ZodType) => z.toJSONSchema(s, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
const error = { $ref: '#/components/schemas/Error' };
const json = (s: object) => ({ content: { 'application/json': { schema: s } } });
const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [String(c), { description: 'error', ...json(error) }]));
const q = (name: string, description: string, required = false) => ({ name, in: 'query', required, description, schema: { type: 'string' } });
const bearer = [{ apiKey: [] }];
const kind = { name: 'kind', in: 'query', required: true, description: 'user (a user id and every device linked to it) or anonymous (one browser)', schema: { type: 'string', enum: ['user', 'anonymous'] } };

/**
 * GET /api/openapi.json — built at request time from the zod schemas that validate the request
 * bodies (shared/schema.ts, worker/src/query/schema.ts), so it can't drift from what is enforced.
 */
export function openapi(origin: string) {
  const post = (summary: string, body: z.ZodType, codes: number[], security?: object[]) => ({
    post: { summary, ...(security ? { security } : {}), requestBody: { required: true, ...json(schema(body)) }, responses: { '200': { description: 'OK' }, ...errors(...codes) } },
  });
  return {
    openapi: '3.1.0',
    info: { title: 'Touchpoint collector', version: '1', description: 'Consent-first event collection, identity and marketer queries. Errors are always {"error":{"code","message","field"}}.' },
    servers: [{ url: origin }],
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'an API key (npm run key -- create --site <id>)' }, browserSecret: { type: 'http', scheme: 'bearer', description: '<anonymous id>.<browser secret>' }, writeKey: writeKeyScheme },
      schemas: {
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } } } } },
      },
    },
    paths: {
      '/v1/e': post('Ingest an event batch (text/plain or JSON)', batchSchema, [400, 403, 404, 413, 415]),
      '/v1/consent': post('Record a consent decision (stored before the answer); answers the signed consent token. 401: wrong browser secret for `a`; 409: stale policy or a receipt id reused with other content; 410: `a` was erased or can\'t be claimed — start a new anonymous id', consentSchema, [400, 401, 403, 404, 409, 410]),
      '/v1/identify': post('Link this browser to a user (tp.identify), proven by the browser secret `k`. 410: the anonymous id was erased — start a new one', identifySchema, [400, 401, 403, 404, 409, 410, 429]),
      '/v1/config': { get: { summary: 'Banner (or with p=1, dialog) texts and rules', parameters: [q('s', 'site id', true), q('l', 'languages'), q('p', '1 for the dialog texts')], responses: { '200': { description: 'OK' }, ...errors(404) } } },
      '/v1/me': {
        get: { summary: "Export this browser's data", security: [{ browserSecret: [] }], parameters: [q('s', 'site id', true)], responses: { '200': { description: 'OK' }, ...errors(401, 429) } },
        delete: { summary: "Erase this browser's data", security: [{ browserSecret: [] }], parameters: [q('s', 'site id', true)], responses: { '200': { description: 'OK' }, ...errors(401, 429) } },
        post: { summary: 'Bind a browser secret to a new anonymous id (after a rotation); only an id with nothing stored', requestBody: { required: true, ...json(schema(registerSchema)) }, responses: { '201': { description: 'bound' }, '200': { description: 'already bound to this secret' }, ...errors(400, 401, 404, 410) } },
      },
      '/api/v1/query': post('Aggregate stats (Plausible Stats API v2 shape)', querySchema, [400, 401, 403, 429], bearer),
      '/api/v1/funnel': post('Funnel conversion per step on stitched visitors', funnelSchema, [400, 401, 403, 429], bearer),
      '/api/v1/journey': post('Journey KPIs per stage (attraction … advocacy) with previous period and targets, and the identity spectrum: {"stages":[{"stage","kpis":[{"id","label","unit","value","previous","target"?}]}],"identity":{"unknown","anonymous","registered","upgraded"},"meta"}', journeySchema, [400, 401, 403, 429], bearer),
      '/api/v1/retention': post('Retention cohorts by first visit (stitched visitors): {"cohorts":[{"cohort":"YYYY-MM-DD","size","retained":[…]}],"meta"}', retentionSchema, [400, 401, 403, 429], bearer),
      '/api/v1/consent': { get: { summary: 'Consent decisions and grant rates', security: bearer, parameters: [q('site_id', 'site', true), q('date_range', 'day | 7d | 30d | month | 12mo | all | realtime | YYYY-MM-DD,YYYY-MM-DD')], responses: { '200': { description: 'OK' }, ...errors(400, 401, 403) } } },
      '/api/v1/consent/receipts': { get: { summary: 'Consent receipts (evidence)', security: bearer, parameters: [q('site_id', 'site', true), q('from', 'ISO date/time or epoch ms'), q('to', 'ISO date/time or epoch ms'), q('cursor', 'next_cursor'), q('limit', '1–5000'), q('latest', '1: current state per consent id')], responses: { '200': { description: 'OK' }, ...errors(400, 401, 403) } } },
      '/api/v1/events': { get: { summary: 'Raw event export, cursor-paginated', security: bearer, parameters: [q('site_id', 'site', true), q('from', 'ISO date/time or epoch ms'), q('to', 'ISO date/time or epoch ms'), q('cursor', 'next_cursor'), q('limit', '1–1000'), q('format', 'json | ndjson')], responses: { '200': { description: 'OK' }, ...errors(400, 401, 403) } } },
      '/api/v1/profiles/{userId}': { get: { summary: 'Linked anonymous ids, traits, first/last seen, stitched timeline', security: bearer, parameters: [{ name: 'userId', in: 'path', required: true, schema: { type: 'string' } }, q('site_id', 'site', true), q('cursor', 'next_cursor'), q('limit', '1–500')], responses: { '200': { description: 'OK' }, ...errors(400, 401, 403, 404) } } },
      '/api/v1/subjects/{id}/export': { get: { summary: 'Data-subject export; 404 when nothing is stored', security: bearer, parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }, q('site_id', 'site', true), kind], responses: { '200': { description: 'OK' }, ...errors(400, 401, 403, 404) } } },
      '/api/v1/subjects/{id}': { delete: { summary: 'Data-subject erasure (D1 and the R2 archive), tombstoned; 404 (and no tombstone) when nothing is stored', security: bearer, parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }, q('site_id', 'site', true), kind], responses: { '200': { description: 'what was removed' }, ...errors(400, 401, 403, 404) } } },
      '/api/v1/archive': { get: { summary: 'The site\'s Parquet archive objects (events/site=<site>/date=<YYYY-MM-DD>/<name>.parquet): {"objects":[{"key","date","rows","size"}],"next_cursor"}', security: bearer, parameters: [q('site_id', 'site', true), q('from', 'first day, YYYY-MM-DD'), q('to', 'last day, YYYY-MM-DD'), q('cursor', 'next_cursor')], responses: { '200': { description: 'OK' }, ...errors(400, 401, 403) } } },
      '/api/v1/archive/object': { get: { summary: 'One archive object as stored (application/vnd.apache.parquet; Range requests answered with 206)', security: bearer, parameters: [q('site_id', 'site', true), q('key', 'a key from GET /api/v1/archive', true)], responses: { '200': { description: 'the Parquet file' }, '206': { description: 'the requested byte range' }, ...errors(401, 403, 404) } } },
      ...segmentPaths(), // Segment-compatible server-side tracking (server-events/openapi.ts)
    },
  };
}

export const openapiRoute = new Hono<AppEnv>().get('/api/openapi.json', (c) => c.json(openapi(new URL(c.req.url).origin)));

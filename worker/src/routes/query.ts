import { Hono } from 'hono';
import { firstIssue } from '../../../shared/schema';
import { authorize } from '../auth/api-key';
import { getSite } from '../config/sites';
import type { AppEnv } from '../env';
import { readJson } from '../http/body';
import { apiError } from '../http/errors';
import { querySchema } from '../query/schema';
import { runQuery } from '../query/stats';

/**
 * POST /api/v1/query — aggregate stats shaped like Plausible's Stats API v2: metrics, dimensions,
 * filters (is / is_not / contains), order_by, limit or pagination, date ranges in the site's time zone.
 * An invalid query is a 400 naming the field and listing the allowed values.
 */
export const queryRoute = new Hono<AppEnv>().post('/api/v1/query', async function query(c) {
  const body = await readJson(c.req.raw, 16 * 1024);
  // Authorize first: a caller without a key learns nothing, not even whether the query was valid.
  const siteId = await authorize(c, typeof (body as { site_id?: unknown })?.site_id === 'string' ? (body as { site_id: string }).site_id : undefined);
  const parsed = querySchema.safeParse(body);
  if (!parsed.success) {
    const e = firstIssue(parsed.error);
    throw apiError(400, e.code, e.message, e.field);
  }
  return c.json(await runQuery(c.env.DB, parsed.data, getSite(siteId)!.timezone, Date.now()));
});

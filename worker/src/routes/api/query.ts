import { Hono } from 'hono';
import { getSite } from '../../config/sites';
import type { AppEnv } from '../../env';
import { apiBody } from '../../http/api-request';
import { querySchema } from '../../query/schema';
import { runQuery } from '../../query/stats';
import { rawFrom } from '../../storage/hot-window';

/**
 * POST /api/v1/query — aggregate stats shaped like Plausible's Stats API v2: metrics, dimensions,
 * filters (is / is_not / contains), order_by, limit or pagination, date ranges in the site's time zone.
 * An invalid query is a 400 naming the field and listing the allowed values.
 */
export const queryRoute = new Hono<AppEnv>().post('/api/v1/query', async function query(c) {
  const { data, siteId } = await apiBody(c, querySchema);
  const site = getSite(siteId)!;
  const now = Date.now();
  return c.json(await runQuery(c.env.DB, data, site.timezone, now, await rawFrom(c.env.DB, site.id)));
});

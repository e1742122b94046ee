import { Hono } from 'hono';
import { getSite } from '../../config/sites';
import type { AppEnv } from '../../env';
import { apiBody } from '../../http/api-request';
import { runRetention } from '../../query/retention';
import { retentionSchema } from '../../query/schema';

/** POST /api/v1/retention — `{site_id, date_range, period: day | week | month, periods?}` → cohorts by first visit. */
export const retentionRoute = new Hono<AppEnv>().post('/api/v1/retention', async function retention(c) {
  const { data, siteId } = await apiBody(c, retentionSchema);
  return c.json(await runRetention(c.env.DB, data, getSite(siteId)!, Date.now()));
});

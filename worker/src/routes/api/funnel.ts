import { Hono } from 'hono';
import { getSite } from '../../config/sites';
import type { AppEnv } from '../../env';
import { apiBody } from '../../http/api-request';
import { runFunnel } from '../../query/funnel';
import { funnelSchema } from '../../query/schema';
import { rawFrom } from '../../storage/hot-window';

/** POST /api/v1/funnel — `{site_id, date_range, steps: [{event, page?, props?}], window?}` → count and conversion per step. */
export const funnelRoute = new Hono<AppEnv>().post('/api/v1/funnel', async function funnel(c) {
  const { data, siteId } = await apiBody(c, funnelSchema);
  const site = getSite(siteId)!;
  const now = Date.now();
  return c.json(await runFunnel(c.env.DB, data, site.timezone, now, await rawFrom(c.env.DB, site.id)));
});

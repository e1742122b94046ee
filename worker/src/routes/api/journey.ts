import { Hono } from 'hono';
import { getSite } from '../../config/sites';
import type { AppEnv } from '../../env';
import { apiBody } from '../../http/api-request';
import { runJourney } from '../../query/journey';
import { journeySchema } from '../../query/schema';

/**
 * POST /api/v1/journey — `{site_id, date_range}` → the KPIs of the five journey stages (attraction, consideration,
 * conversion, loyalty, advocacy) with the previous period's values and the site's targets, and the identity spectrum.
 */
export const journeyRoute = new Hono<AppEnv>().post('/api/v1/journey', async function journey(c) {
  const { data, siteId } = await apiBody(c, journeySchema);
  return c.json(await runJourney(c.env.DB, data, getSite(siteId)!, Date.now()));
});

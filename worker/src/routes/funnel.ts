import { Hono } from 'hono';
import { firstIssue } from '../../../shared/schema';
import { authorize } from '../auth/api-key';
import { getSite } from '../config/sites';
import type { AppEnv } from '../env';
import { readJson } from '../http/body';
import { apiError } from '../http/errors';
import { runFunnel } from '../query/funnel';
import { funnelSchema } from '../query/schema';

/** POST /api/v1/funnel — `{site_id, date_range, steps: [{event, page?, props?}], window?}` → count and conversion per step. */
export const funnelRoute = new Hono<AppEnv>().post('/api/v1/funnel', async function funnel(c) {
  const body = await readJson(c.req.raw, 16 * 1024);
  const siteId = await authorize(c, typeof (body as { site_id?: unknown })?.site_id === 'string' ? (body as { site_id: string }).site_id : undefined);
  const parsed = funnelSchema.safeParse(body);
  if (!parsed.success) {
    const e = firstIssue(parsed.error);
    throw apiError(400, e.code, e.message, e.field);
  }
  return c.json(await runFunnel(c.env.DB, parsed.data, getSite(siteId)!.timezone, Date.now()));
});

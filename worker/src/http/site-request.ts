import type { Context } from 'hono';
import type { z } from 'zod';
import { LIMITS } from '../../../shared/limits';
import { firstIssue } from '../../../shared/schema';
import type { SiteConfig } from '../config/schema';
import { getSite } from '../config/sites';
import type { AppEnv } from '../env';
import { readJson } from './body';
import { checkOrigin } from './cors';
import { apiError } from './errors';

/** The site named by `?s=` (404 if unknown), with the caller's origin checked against it: public GETs and DELETEs. */
export function siteFromQuery(c: Context<AppEnv>): SiteConfig {
  const id = c.req.query('s') ?? '';
  const site = getSite(id);
  if (!site) throw apiError(404, 'unknown_site', `no site "${id}" is configured`, 's');
  checkOrigin(c, site);
  return site;
}

/**
 * The common start of every public POST: read the bounded JSON body, validate it (400 naming the
 * field), find its site (`s`, 404 if unknown) and check the caller's origin against that site.
 */
export async function siteRequest<S extends z.ZodType<{ s: string }>>(
  c: Context<AppEnv>,
  schema: S,
  maxBytes: number = LIMITS.bodyBytes,
): Promise<{ data: z.output<S>; site: SiteConfig }> {
  const parsed = schema.safeParse(await readJson(c.req.raw, maxBytes));
  if (!parsed.success) {
    const e = firstIssue(parsed.error);
    throw apiError(400, e.code, e.message, e.field);
  }
  const site = getSite(parsed.data.s);
  if (!site) throw apiError(404, 'unknown_site', `no site "${parsed.data.s}" is configured`, 's');
  checkOrigin(c, site);
  return { data: parsed.data, site };
}

import type { Context } from 'hono';
import type { z } from 'zod';
import { firstIssue } from '../../../shared/schema';
import { authorize } from '../auth/api-key';
import type { AppEnv } from '../env';
import { apiError } from './errors';
import { readJson } from './body';

/**
 * The common start of every marketer POST: read the bounded JSON body, authorize the key for its
 * `site_id` — before validating, so a caller without a key learns nothing, not even whether the
 * body was valid — then validate it (400 naming the field).
 */
export async function apiBody<S extends z.ZodType<{ site_id: string }>>(c: Context<AppEnv>, schema: S): Promise<{ data: z.output<S>; siteId: string }> {
  const body = await readJson(c.req.raw, 16 * 1024);
  const claimed = (body as { site_id?: unknown } | null)?.site_id;
  const siteId = await authorize(c, typeof claimed === 'string' ? claimed : undefined);
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const e = firstIssue(parsed.error);
    throw apiError(400, e.code, e.message, e.field);
  }
  return { data: parsed.data, siteId };
}

/** `?limit=` as an integer 1…max (400 naming `limit` otherwise). */
export function queryLimit(c: Context<AppEnv>, fallback: number, max: number): number {
  const limit = Number(c.req.query('limit') ?? fallback);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw apiError(400, 'invalid_field', `limit must be 1–${max}`, 'limit');
  return limit;
}

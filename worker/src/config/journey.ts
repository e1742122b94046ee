import { z } from 'zod';
import { CURRENCY_MESSAGE, CURRENCY_PATTERN } from '../../../shared/money';
import { goalKpiId, KPIS, STAGES } from './kpis';

/**
 * The journey part of a site's configuration (CONTRACT.md §5): goals, the reporting currency with rates for other
 * currencies, and KPI targets. Spread into the site schema (`schema.ts`); `checkJourney` runs in its refinement.
 */
const currency = z.string().regex(CURRENCY_PATTERN, CURRENCY_MESSAGE);

/** A goal: an event (optionally with props it must carry) or a page pattern (`*` matches any characters). */
export const goalSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case goal id (a-z, 0-9, _ and -, at most 64 characters)'),
    name: z.string().min(1).max(100),
    stage: z.enum(STAGES, { error: () => `must be one of: ${STAGES.join(', ')}` }),
    event: z.string().min(1).max(64).optional(),
    page: z.string().max(2048).regex(/^\//, 'a path starting with / (use * as a wildcard, e.g. /thanks*)').optional(),
    props: z.record(z.string().min(1).max(64), z.union([z.string().max(512), z.number(), z.boolean()])).optional(),
  })
  .strict()
  .superRefine((g, ctx) => {
    if ((g.event === undefined) === (g.page === undefined)) ctx.addIssue({ code: 'custom', path: ['event'], message: 'a goal has either "event" or "page", not both' });
    if (g.page !== undefined && g.props !== undefined) ctx.addIssue({ code: 'custom', path: ['props'], message: 'props match events: use them with "event", not "page"' });
  });
export type Goal = z.output<typeof goalSchema>;

export const journeyFields = {
  goals: z.array(goalSchema).max(50, 'at most 50 goals').default([]),
  /** the reporting currency: revenue metrics and KPIs are answered in it */
  currency: currency.optional(),
  /** how many units of `currency` one unit of another currency is worth, e.g. {"USD": 0.92} for a EUR site */
  currency_rates: z.record(z.string(), z.number().positive('must be positive').max(1e6)).default({}),
  /** planned values per KPI id (`goal:<goal id>` for a goal's completions) */
  targets: z.record(z.string(), z.number().finite()).default({}),
};

type JourneyConfig = { goals: Goal[]; currency?: string; currency_rates: Record<string, number>; targets: Record<string, number> };

/** Rules across keys: goal ids unique, rates only with a currency, targets only for KPIs that exist. */
export function checkJourney(site: JourneyConfig, ctx: z.RefinementCtx): void {
  const ids = site.goals.map((g) => g.id);
  ids.forEach((id, i) => {
    if (ids.indexOf(id) !== i) ctx.addIssue({ code: 'custom', path: ['goals', i, 'id'], message: `duplicate goal "${id}"` });
  });
  for (const code of Object.keys(site.currency_rates)) {
    if (!CURRENCY_PATTERN.test(code)) ctx.addIssue({ code: 'custom', path: ['currency_rates', code], message: CURRENCY_MESSAGE });
    else if (!site.currency) ctx.addIssue({ code: 'custom', path: ['currency_rates', code], message: 'rates need the site\'s own "currency"' });
    else if (code === site.currency) ctx.addIssue({ code: 'custom', path: ['currency_rates', code], message: `${code} is the site's currency itself` });
  }
  const known = new Set([...KPIS.map((k) => k.id), ...ids.map(goalKpiId)]);
  for (const key of Object.keys(site.targets)) {
    if (!known.has(key)) {
      ctx.addIssue({ code: 'custom', path: ['targets', key], message: `unknown KPI id; one of: ${[...known].join(', ')}` });
    }
  }
}

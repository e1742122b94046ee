import { z } from 'zod';
import { LIMITS } from '../../../shared/limits';
import { siteIdSchema } from '../../../shared/schema';
import { DATE_BOUNDS, dateProblem } from './time';

export const METRICS = [
  'visitors', 'visits', 'pageviews', 'events', 'bounce_rate', 'visit_duration', 'views_per_visit', 'scroll_depth', 'conversion_rate',
  'total_revenue', 'average_revenue',
] as const;
export const DIMENSIONS = [
  'event:name', 'event:page', 'visit:source', 'visit:referrer', 'visit:utm_source', 'visit:utm_medium', 'visit:utm_campaign', 'visit:country',
  'visit:device', 'visit:browser', 'visit:os', 'visit:entry_page', 'time:day', 'time:hour', 'user:type',
  'event:goal', 'visit:exit_page', 'visit:channel', 'visitor:type', 'time:week', 'time:month',
] as const;
// `realtime`: the last 5 minutes, counted by each event's own time (the dashboard's current visitors; query/time.ts).
export const RANGES = ['day', '7d', '30d', 'month', '12mo', 'all', 'realtime'] as const;
export type Metric = (typeof METRICS)[number];
export type Dimension = (typeof DIMENSIONS)[number];

const oneOf = <T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z.enum(values, { error: () => `${what} must be one of: ${values.join(', ')}` });

/**
 * Request limits. Lists are bound to SQL as one JSON parameter each (D1 takes at most 100 bound parameters a statement),
 * so these are product limits, not SQL ones: every request within them runs.
 */
export const QUERY_LIMITS = { filters: 20, filterValues: 50, filterValueLength: 500, stepProps: LIMITS.propsPerEvent } as const;

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'dates are YYYY-MM-DD')
  .superRefine((date, ctx) => {
    const message = dateProblem(date);
    if (message) ctx.addIssue({ code: 'custom', message });
  })
  .describe(`a calendar date, ${DATE_BOUNDS[0]} to ${DATE_BOUNDS[1]}`);

/** A named range, or an inclusive pair of calendar dates in order (400 naming `date_range.0` or `date_range.1`). */
export const dateRangeSchema = z.union(
  [
    oneOf(RANGES, 'date_range'),
    z.tuple([isoDate, isoDate]).superRefine(([from, to], ctx) => {
      if (!dateProblem(from) && !dateProblem(to) && to < from) ctx.addIssue({ code: 'custom', path: [1], message: `the end date ${to} is before the start date ${from}` });
    }),
  ],
  { error: () => `date_range must be one of: ${RANGES.join(', ')}, or ["YYYY-MM-DD","YYYY-MM-DD"]` },
);

const valuesMessage = `a filter has 1 to ${QUERY_LIMITS.filterValues} values`;
const filterValues = z
  .array(z.string().max(QUERY_LIMITS.filterValueLength, `filter values have at most ${QUERY_LIMITS.filterValueLength} characters`))
  .min(1, valuesMessage)
  .max(QUERY_LIMITS.filterValues, valuesMessage);
const filterDims = [...DIMENSIONS.filter((d) => !d.startsWith('time:'))] as [Dimension, ...Dimension[]];

/** POST /api/v1/query — shaped like Plausible's Stats API v2. */
export const querySchema = z
  .object({
    site_id: siteIdSchema,
    metrics: z.array(oneOf(METRICS, 'metrics')).min(1, 'at least one metric').max(METRICS.length),
    date_range: dateRangeSchema,
    dimensions: z.array(oneOf(DIMENSIONS, 'dimensions')).max(3, 'at most 3 dimensions').default([]),
    filters: z
      .array(z.tuple([oneOf(['is', 'is_not', 'contains'] as const, 'filter operator'), oneOf(filterDims, 'filter dimension'), filterValues]))
      .max(QUERY_LIMITS.filters, `at most ${QUERY_LIMITS.filters} filters`)
      .default([]),
    order_by: z.array(z.tuple([z.string(), oneOf(['asc', 'desc'] as const, 'order direction')])).max(5).optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
    pagination: z.object({ limit: z.number().int().min(1).max(10_000).default(100), offset: z.number().int().min(0).default(0) }).strict().optional(),
  })
  .strict();
export type Query = z.output<typeof querySchema>;

/** Funnel step properties: an event carries at most `LIMITS.propsPerEvent`, so a step asking for more could never match. */
const stepProps = z
  .record(z.string().max(LIMITS.propKeyLength), z.union([z.string().max(LIMITS.propValueLength), z.number(), z.boolean()]))
  .refine((props) => Object.keys(props).length <= QUERY_LIMITS.stepProps, `a step matches at most ${QUERY_LIMITS.stepProps} properties (as many as an event carries)`)
  .describe(`at most ${QUERY_LIMITS.stepProps} properties, each equal to the event's`);

/** POST /api/v1/funnel — ordered steps on stitched visitors, within a conversion window. */
export const funnelSchema = z
  .object({
    site_id: siteIdSchema,
    date_range: dateRangeSchema,
    steps: z
      .array(
        z
          .object({
            event: z.string().min(1).max(64),
            page: z.string().min(1).max(2048).optional(),
            props: stepProps.optional(),
          })
          .strict(),
      )
      .min(2, 'a funnel has at least 2 steps')
      .max(8, 'at most 8 steps'),
    window: z.string().regex(/^\d{1,4}(m|h|d)$/, 'window like "30m", "1h", "1d" or "7d"').default('1d'),
  })
  .strict();
export type Funnel = z.output<typeof funnelSchema>;

/** POST /api/v1/journey — the five stages' KPIs for a range and the period of equal length before it. */
export const journeySchema = z.object({ site_id: siteIdSchema, date_range: dateRangeSchema }).strict();
export type JourneyQuery = z.output<typeof journeySchema>;

export const PERIODS = ['day', 'week', 'month'] as const;
/** POST /api/v1/retention — cohorts by first visit (day, week or month), followed for `periods` periods. */
export const retentionSchema = z
  .object({
    site_id: siteIdSchema,
    date_range: dateRangeSchema,
    period: oneOf(PERIODS, 'period'),
    periods: z.number({ error: () => 'periods must be a whole number from 1 to 100' }).int('periods must be a whole number from 1 to 100').min(1, 'periods must be a whole number from 1 to 100').max(100, 'periods must be a whole number from 1 to 100').optional(),
  })
  .strict();
export type RetentionQuery = z.output<typeof retentionSchema>;

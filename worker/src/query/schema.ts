import { z } from 'zod';
import { siteIdSchema } from '../../../shared/schema';

export const METRICS = ['visitors', 'visits', 'pageviews', 'events', 'bounce_rate', 'visit_duration', 'views_per_visit', 'scroll_depth', 'conversion_rate'] as const;
export const DIMENSIONS = [
  'event:name', 'event:page', 'visit:source', 'visit:referrer', 'visit:utm_source', 'visit:utm_medium', 'visit:utm_campaign', 'visit:country',
  'visit:device', 'visit:browser', 'visit:os', 'visit:entry_page', 'time:day', 'time:hour', 'user:type',
] as const;
export const RANGES = ['day', '7d', '30d', 'month', '12mo', 'all'] as const;
export type Metric = (typeof METRICS)[number];
export type Dimension = (typeof DIMENSIONS)[number];

const oneOf = <T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z.enum(values, { error: () => `${what} must be one of: ${values.join(', ')}` });
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'dates are YYYY-MM-DD');
const filterDims = [...DIMENSIONS.filter((d) => !d.startsWith('time:'))] as [Dimension, ...Dimension[]];

/** POST /api/v1/query — shaped like Plausible's Stats API v2. */
export const querySchema = z
  .object({
    site_id: siteIdSchema,
    metrics: z.array(oneOf(METRICS, 'metrics')).min(1, 'at least one metric').max(METRICS.length),
    date_range: z.union([oneOf(RANGES, 'date_range'), z.tuple([isoDate, isoDate])], { error: () => `date_range must be one of: ${RANGES.join(', ')}, or ["YYYY-MM-DD","YYYY-MM-DD"]` }),
    dimensions: z.array(oneOf(DIMENSIONS, 'dimensions')).max(3, 'at most 3 dimensions').default([]),
    filters: z
      .array(z.tuple([oneOf(['is', 'is_not', 'contains'] as const, 'filter operator'), oneOf(filterDims, 'filter dimension'), z.array(z.string().max(500)).min(1).max(50)]))
      .max(20)
      .default([]),
    order_by: z.array(z.tuple([z.string(), oneOf(['asc', 'desc'] as const, 'order direction')])).max(5).optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
    pagination: z.object({ limit: z.number().int().min(1).max(10_000).default(100), offset: z.number().int().min(0).default(0) }).strict().optional(),
  })
  .strict();
export type Query = z.output<typeof querySchema>;

const dateRange = z.union([oneOf(RANGES, 'date_range'), z.tuple([isoDate, isoDate])], {
  error: () => `date_range must be one of: ${RANGES.join(', ')}, or ["YYYY-MM-DD","YYYY-MM-DD"]`,
});

/** POST /api/v1/funnel — ordered steps on stitched visitors, within a conversion window. */
export const funnelSchema = z
  .object({
    site_id: siteIdSchema,
    date_range: dateRange,
    steps: z
      .array(
        z
          .object({
            event: z.string().min(1).max(64),
            page: z.string().min(1).max(2048).optional(),
            props: z.record(z.string().max(64), z.union([z.string().max(500), z.number(), z.boolean()])).optional(),
          })
          .strict(),
      )
      .min(2, 'a funnel has at least 2 steps')
      .max(8, 'at most 8 steps'),
    window: z.string().regex(/^\d{1,4}(m|h|d)$/, 'window like "30m", "1h", "1d" or "7d"').default('1d'),
  })
  .strict();
export type Funnel = z.output<typeof funnelSchema>;

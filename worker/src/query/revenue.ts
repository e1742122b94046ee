import { convertMinor, fromMinorUnits } from '../../../shared/money';
import type { SiteConfig } from '../config/schema';
import { apiError } from '../http/errors';

/**
 * Revenue metrics (`total_revenue`, `average_revenue`) and the journey's revenue KPIs, in the site's `currency`.
 * Events store revenue exactly, in minor units of their own currency (`events.revenue`, `events.currency`). SQL sums
 * them per group *and currency* (exact integers); here each currency's sum is converted to the site's currency at the
 * site's `currency_rates` — one rounding (half up, to the site currency's minor unit) per currency and group — and the
 * converted sums are added. A currency the site has no rate for is left out of both metrics and named in `meta.warnings`:
 * amounts in different currencies are never added as they are.
 */
export const REVENUE_METRICS: ReadonlySet<string> = new Set(['total_revenue', 'average_revenue']);

/** One row of a revenue query: the group's dimension values `d0…d(n-1)`, `d<n>` the currency, and its sums. */
export type RevenueRow = Record<string, string | number | null>;

export interface RevenueGroup {
  /** dimension values of the group */
  dims: (string | number | null)[];
  /** converted total, in minor units of the site's currency */
  minor: number;
  /** events with revenue counted in `minor` (orders) */
  orders: number;
}

export interface Revenue {
  currency: string;
  /** by `JSON.stringify(dims)` */
  groups: Map<string, RevenueGroup>;
  warnings: string[];
}

/** The site's reporting currency; revenue can't be reported without one (400 naming `field`). */
export function siteCurrency(site: SiteConfig | undefined, field: string): string {
  if (!site?.currency) throw apiError(400, 'invalid_field', 'revenue needs the site\'s reporting currency: set "currency" in its configuration', field);
  return site.currency;
}

/** Adds up revenue rows (`revenue_minor`, `orders` per group and currency) in the site's currency. */
export function sumRevenue(rows: RevenueRow[], nDims: number, site: SiteConfig, field = 'metrics'): Revenue {
  const currency = siteCurrency(site, field);
  const groups = new Map<string, RevenueGroup>();
  const missing = new Map<string, number>();
  for (const r of rows) {
    const code = r[`d${nDims}`] as string;
    const sum = Number(r.revenue_minor ?? 0);
    const orders = Number(r.orders ?? 0);
    const rate = code === currency ? 1 : site.currency_rates[code];
    if (rate === undefined) {
      missing.set(code, (missing.get(code) ?? 0) + orders);
      continue;
    }
    const dims = Array.from({ length: nDims }, (_, i) => r[`d${i}`] ?? null);
    const key = JSON.stringify(dims);
    const g = groups.get(key) ?? { dims, minor: 0, orders: 0 };
    g.minor += code === currency ? sum : convertMinor(sum, code, currency, rate);
    g.orders += orders;
    groups.set(key, g);
  }
  const warnings = [...missing].map(
    ([code, n]) => `revenue in ${code} (${n} event${n === 1 ? '' : 's'}) is left out of the revenue figures: the site has no rate for ${code} in currency_rates`,
  );
  return { currency, groups, warnings };
}

/** A group's total in major units of the site's currency (0 without revenue). */
export const totalOf = (g: RevenueGroup | undefined, currency: string): number => (g ? fromMinorUnits(g.minor, currency) : 0);

/** A group's average per order, rounded half up to the currency's minor unit (0 without orders). */
export const averageOf = (g: RevenueGroup | undefined, currency: string): number =>
  g && g.orders ? fromMinorUnits(Math.floor((2 * g.minor + g.orders) / (2 * g.orders)), currency) : 0;

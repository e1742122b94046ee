/**
 * The customer journey's stages and the KPIs `POST /api/v1/journey` answers for each, in order. Site configs name them:
 * a goal belongs to a stage, and `targets` are keyed by KPI id (a goal's own KPI is `goal:<goal id>`). Every KPI is
 * defined in the README ("Journey KPIs"); how each is computed is in `worker/src/query/journey.ts`.
 */
export const STAGES = ['attraction', 'consideration', 'conversion', 'loyalty', 'advocacy'] as const;
export type Stage = (typeof STAGES)[number];

/** How a KPI's value reads: a count, a percentage (0–100), seconds, an amount in the site's currency, or a ratio. */
export type Unit = 'count' | 'percent' | 'seconds' | 'currency' | 'ratio';

export interface Kpi {
  id: string;
  label: string;
  stage: Stage;
  unit: Unit;
}

export const KPIS: readonly Kpi[] = [
  { id: 'visitors', label: 'Visitors', stage: 'attraction', unit: 'count' },
  { id: 'new_visitors', label: 'New visitors', stage: 'attraction', unit: 'count' },
  { id: 'campaign_visits', label: 'Visits from campaigns', stage: 'attraction', unit: 'count' },
  { id: 'impressions', label: 'Impressions', stage: 'attraction', unit: 'count' },
  { id: 'impression_ctr', label: 'Impression click-through rate', stage: 'attraction', unit: 'percent' },
  { id: 'visit_duration', label: 'Visit duration', stage: 'consideration', unit: 'seconds' },
  { id: 'bounce_rate', label: 'Bounce rate', stage: 'consideration', unit: 'percent' },
  { id: 'events_per_visit', label: 'Micro-actions per visit', stage: 'consideration', unit: 'ratio' },
  { id: 'soft_conversions', label: 'Soft conversions', stage: 'consideration', unit: 'count' },
  { id: 'conversions', label: 'Conversions', stage: 'conversion', unit: 'count' },
  { id: 'conversion_rate', label: 'Conversion rate', stage: 'conversion', unit: 'percent' },
  { id: 'revenue', label: 'Revenue', stage: 'conversion', unit: 'currency' },
  { id: 'average_order_value', label: 'Average order value', stage: 'conversion', unit: 'currency' },
  { id: 'new_customer_rate', label: 'New-customer quota', stage: 'conversion', unit: 'percent' },
  { id: 'returning_visitor_rate', label: 'Returning-visitor rate', stage: 'loyalty', unit: 'percent' },
  { id: 'visits_per_customer', label: 'Visits per registered customer', stage: 'loyalty', unit: 'ratio' },
  { id: 'retention_rate', label: 'Retention rate', stage: 'loyalty', unit: 'percent' },
  { id: 'purchase_frequency', label: 'Purchase frequency', stage: 'loyalty', unit: 'ratio' },
  { id: 'shares', label: 'Shares', stage: 'advocacy', unit: 'count' },
  { id: 'referred_visits', label: 'Visits from shared links and referrals', stage: 'advocacy', unit: 'count' },
];

/** The KPI id of a goal's completions (unique visitors who completed it), listed in the goal's stage. */
export const goalKpiId = (goalId: string): string => `goal:${goalId}`;

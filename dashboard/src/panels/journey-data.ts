// The journey answer (CONTRACT §5), asked once per load and shared by the Journey and Identity panels.
import { journey, type Answer } from '../api';
import type { Ctx } from '../panel';

export interface Kpi {
  id: string;
  label: string;
  value: number | null;
  previous: number | null;
  target?: number | null;
  /** how the value reads (count, percent, seconds, currency, ratio) */
  unit?: string;
  /** e.g. the campaigns behind "Visits from campaigns" */
  breakdown?: { key: string; value: number; previous: number | null }[];
}
export interface JourneyAnswer {
  stages: { stage: string; kpis: Kpi[] }[];
  identity: { unknown: number; anonymous: number; registered: number; upgraded: number };
  meta?: { date_range?: [string, string]; currency?: string; warnings?: string[]; previous_range?: [string, string] | null };
}

export const STAGES = ['attraction', 'consideration', 'conversion', 'loyalty', 'advocacy'] as const;

export const journeyOf = (ctx: Ctx): Promise<Answer<JourneyAnswer>> => ctx.shared('journey', () => journey<JourneyAnswer>(ctx.site.id, ctx.range, ctx.signal));

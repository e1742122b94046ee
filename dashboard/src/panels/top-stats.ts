// Top stats: the five headline figures for the range, each beside its change against the period before; conversion rate and
// revenue join them when the site has goals / revenue. Two API calls per row of figures: this period and the one before.
import { query, type Answer, type QueryAnswer } from '../api';
import { fill, h, message, NO_DATA, NO_MATCH, vh } from '../dom';
import { goalName } from '../filters';
import { change, days, format, type Kind } from '../format';
import { failure, warnings, type Ctx, type Panel } from '../panel';
import { journeyOf } from './journey-data';

interface Stat {
  metric: string;
  label: string;
  kind: Kind;
  /** a rise is bad news (bounce rate): the colour flips, the words stay literal */
  lowerIsBetter?: boolean;
}
export const STATS: Stat[] = [
  { metric: 'visitors', label: 'Visitors', kind: 'count' },
  { metric: 'visits', label: 'Visits', kind: 'count' },
  { metric: 'pageviews', label: 'Pageviews', kind: 'count' },
  { metric: 'bounce_rate', label: 'Bounce rate', kind: 'percent', lowerIsBetter: true },
  { metric: 'visit_duration', label: 'Visit duration', kind: 'duration' },
];

const ask = (ctx: Ctx, metrics: string[], range: Ctx['range'], extra: Ctx['filters'] = []) =>
  query(ctx.site.id, { metrics, date_range: range, filters: [...ctx.filters, ...extra] }, ctx.signal);

function item(s: Stat, cur: number | null, prev: number | null, currency?: string, before = true): HTMLElement {
  // Without traffic before, a rate of "0 %" there is no figure to compare with: the change says so instead of "+33 pp".
  const ch = before ? change(cur, prev, s.kind) : { dir: 'new' as const, text: 'new', words: 'no data in the previous period' };
  const good = ch.dir === 'flat' || ch.dir === 'new' ? 'neutral' : (ch.dir === 'up') !== !!s.lowerIsBetter ? 'good' : 'bad';
  return h(
    'li',
    { class: 'stat', 'data-metric': s.metric },
    h('span', { class: 'stat-label' }, s.label),
    h('span', { class: 'stat-value' }, format(s.kind, cur, currency)),
    h('span', { class: `change ${good}`, title: ch.words }, h('span', { 'aria-hidden': 'true' }, ch.text), vh(ch.words)),
    h('span', { class: 'stat-prev' }, 'before: ', before ? format(s.kind, prev, currency) : '–'),
  );
}

const first = (a: Answer<QueryAnswer> | null) => (a?.ok ? (a.data.results[0]?.metrics ?? []) : []);

/**
 * The goals a "conversion" is: those of the conversion stage (sign-up, purchase…), else every goal. Filters take goal ids.
 * Without goals there is no conversion rate to show (the API needs a goal to compute one).
 */
const conversionGoals = (ctx: Ctx) => {
  const goals = ctx.site.goals ?? [];
  const conv = goals.filter((g) => g.stage === 'conversion');
  return (conv.length ? conv : goals).map((g) => g.id);
};

/**
 * The conversion rate and the one before. Unfiltered, with conversion-stage goals, it is the journey's `conversion_rate` KPI
 * (the same question: visitors who completed a conversion goal, of all visitors, over the same two periods), read from the
 * journey answer the page asks for anyway — one goal query fewer per load. Otherwise, or when the journey can't answer, it
 * is asked with the goal filter (two queries).
 */
async function conversionRate(ctx: Ctx, goals: string[]): Promise<[Answer<QueryAnswer>, Answer<QueryAnswer>] | null> {
  if (!goals.length) return null;
  const asRow = (v: number | null, date_range: [string, string]): Answer<QueryAnswer> => ({ ok: true, data: { results: [{ dimensions: [], metrics: [v] }], meta: { date_range } } });
  if (!ctx.filters.length && (ctx.site.goals ?? []).some((g) => g.stage === 'conversion')) {
    const j = await journeyOf(ctx);
    const kpi = j.ok ? j.data.stages.flatMap((s) => s.kpis).find((k) => k.id === 'conversion_rate') : undefined;
    const same = j.ok && JSON.stringify(j.data.meta?.previous_range) === JSON.stringify(ctx.previous);
    const range = j.ok ? j.data.meta?.date_range : undefined;
    if (kpi && same && range && kpi.previous !== null && !j.data.meta?.warnings?.length) return [asRow(kpi.value, range), asRow(kpi.previous, ctx.previous)];
  }
  const goalFilter: Ctx['filters'] = [['is', 'event:goal', goals]];
  return Promise.all([ask(ctx, ['conversion_rate'], ctx.range, goalFilter), ask(ctx, ['conversion_rate'], ctx.previous, goalFilter)]);
}

export const topStats: Panel = {
  id: 'top',
  title: 'Top stats',
  wide: true,
  async render(el, ctx) {
    const metrics = STATS.map((s) => s.metric);
    const goals = conversionGoals(ctx);
    const [cur, prev, revenue, revenuePrev, rate] = await Promise.all([
      ask(ctx, metrics, ctx.range),
      ask(ctx, metrics, ctx.previous),
      ask(ctx, ['total_revenue'], ctx.range),
      ask(ctx, ['total_revenue'], ctx.previous),
      conversionRate(ctx, goals),
    ]);
    const [conv, convPrev] = rate ?? [null, null];
    if (ctx.signal.aborted) return;
    if (!cur.ok) return fill(el, failure(cur, 'top stats', () => void topStats.render(el, ctx)));
    const [c, p] = [first(cur), first(prev)];
    // visits is the second figure: a period with none had nothing to compare with.
    const before = prev.ok && (p[1] ?? 0) > 0;
    const items = STATS.map((s, i) => item(s, c[i] ?? null, p[i] ?? null, undefined, before));
    const notes: string[] = [];
    if (!prev.ok) notes.push(`The previous period could not be loaded (${prev.message}).`);
    if (conv?.ok) {
      const names = goals.map((id) => goalName(ctx.site, id)).join(', ');
      items.push(item({ metric: 'conversion_rate', label: `Conversion rate`, kind: 'percent' }, first(conv)[0] ?? null, first(convPrev)[0] ?? null, undefined, before));
      notes.push(`Conversion rate: visitors who completed ${names}.`);
    } else if (conv) notes.push(conv.unavailable ? 'Conversion rate: not available yet from this collector.' : `Conversion rate could not be loaded (${conv.message}).`);
    const currency = (revenue.ok && revenue.data.meta.currency) || ctx.site.currency;
    const rev = first(revenue)[0] ?? null;
    const revPrev = first(revenuePrev)[0] ?? null;
    // Revenue is shown once there is some, in this period or the one before; without revenue support, the page says so.
    if (revenue.ok && (rev || revPrev)) items.push(item({ metric: 'total_revenue', label: 'Revenue', kind: 'money' }, rev, revPrev, currency, before));
    else if (!revenue.ok && revenue.unavailable) notes.push('Revenue: not available yet from this collector.');
    const empty = STATS.every((_, i) => !c[i]);
    fill(
      el,
      h('ul', { class: 'stats' }, items),
      h('p', { class: 'compare' }, `Changes compare ${days(ctx.days)} with ${days(ctx.previous)}.`),
      empty && message('empty', ctx.filters.length ? NO_MATCH : NO_DATA),
      notes.map((n) => h('p', { class: 'panel-note' }, n)),
      warnings({ warnings: [...new Set([...(cur.data.meta.warnings ?? []), ...((conv?.ok && conv.data.meta.warnings) || [])])] }),
    );
  },
};

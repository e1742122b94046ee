// Identity: visitors per tier of the identity spectrum — unknown (cookieless), anonymous, registered — and the anonymous
// visitors who became registered, from the journey answer (CONTRACT §5, shared with the Journey panel); and the tiers over
// time from the query API's user:type, which takes the dashboard's filters. (The journey's caveats show in its own panel.)
import { query } from '../api';
import { dataTable, lineChart, type Line } from '../chart';
import { fill, h, message, NO_DATA, NO_MATCH } from '../dom';
import { bucketLabel, num } from '../format';
import { failure, type Panel } from '../panel';
import { buckets, interval } from '../state';
import { journeyOf } from './journey-data';

/** user:type value, the journey's name for the tier, label, line colour and dash (lines differ by dash, not only colour). */
const TIERS = [
  { type: 'cookieless', tier: 'unknown', label: 'Unknown (cookieless)', stroke: '#9333ea', dash: [2, 3] },
  { type: 'anonymous', tier: 'anonymous', label: 'Anonymous', stroke: '#0891b2', dash: [8, 4] },
  { type: 'identified', tier: 'registered', label: 'Registered', stroke: '#16a34a', dash: undefined },
] as const;

let destroy: (() => void) | null = null;

const figure = (label: string, value: number | null | undefined) =>
  h('li', { class: 'stat' }, h('span', { class: 'stat-label' }, label), h('span', { class: 'stat-value' }, num(value)));

export const identityPanel: Panel = {
  id: 'identity',
  title: 'Identity',
  wide: true,
  note: (ctx) => (ctx.filters.length ? 'The tier totals and upgrades count the whole site; the chart follows the filters.' : null),
  async render(el, ctx) {
    // Hours for short ranges, days otherwise: the tiers' lines need no month buckets.
    const every = interval(ctx.days) === 'hour' ? 'hour' : 'day';
    const [j, overTime] = await Promise.all([
      journeyOf(ctx),
      query(ctx.site.id, { metrics: ['visitors'], date_range: ctx.range, dimensions: [`time:${every}`, 'user:type'], filters: ctx.filters, limit: 10_000 }, ctx.signal),
    ]);
    if (ctx.signal.aborted) return;
    destroy?.();
    destroy = null;
    const totals = j.ok
      ? h(
          'ul',
          { class: 'stats small' },
          TIERS.map((t) => figure(t.label, j.data.identity[t.tier])),
          figure('Upgrades to registered', j.data.identity.upgraded),
        )
      : failure(j, 'the identity spectrum (POST /api/v1/journey)', () => void identityPanel.render(el, ctx));
    if (!overTime.ok) return fill(el, totals, failure(overTime, 'identity tiers over time', () => void identityPanel.render(el, ctx)));
    if (!overTime.data.results.length) return fill(el, totals, message('empty', ctx.filters.length ? NO_MATCH : NO_DATA));
    const keys = buckets(ctx.days, every);
    const at = new Map(overTime.data.results.map((r) => [`${r.dimensions[0]}|${r.dimensions[1]}`, r.metrics[0] ?? 0]));
    const present = new Set(overTime.data.results.map((r) => String(r.dimensions[1])));
    const labels = keys.map((k) => bucketLabel(k, every));
    // Unknown visitors only where the site has cookieless traffic: a line of zeros would say nothing.
    const lines: Line[] = TIERS.filter((t) => t.type !== 'cookieless' || present.has(t.type)).map((t) => ({
      label: t.label,
      stroke: t.stroke,
      ...(t.dash && { dash: [...t.dash] }),
      values: keys.map((b) => at.get(`${b}|${t.type}`) ?? 0),
    }));
    const chart = h('div', { class: 'chart', role: 'img', 'aria-label': `Visitors per identity tier by ${every}; numbers under "Show data".` });
    fill(el, totals, h('h3', null, `Visitors per tier, by ${every}`), chart, dataTable(`Visitors per identity tier by ${every}`, labels, lines, num));
    destroy = lineChart(chart, labels, lines, num);
  },
};

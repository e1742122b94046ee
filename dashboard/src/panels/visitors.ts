// Visitors over time: the chosen metric per hour, day or month (by the range's length), with the period before drawn over it
// (dashed), aligned bucket by bucket. Buckets the API doesn't list had nothing: they are drawn as 0.
import { query, type QueryAnswer } from '../api';
import { dataTable, lineChart } from '../chart';
import { fill, h, message, NO_DATA, NO_MATCH, uid } from '../dom';
import { bucketLabel, format } from '../format';
import { failure, type Ctx, type Panel } from '../panel';
import { buckets, interval, type Interval } from '../state';
import { STATS } from './top-stats';

let destroy: (() => void) | null = null;
/** The metric picker stays in place across reloads (focus stays on it when it changes); only `out` is redrawn. */
let frame: { picker: HTMLElement; select: HTMLSelectElement; out: HTMLElement } | null = null;
let onPick: (metric: string) => void = () => {};

function ensureFrame(el: HTMLElement) {
  if (!frame) {
    const select = h('select', { id: uid('metric'), onchange: (e: Event) => onPick((e.target as HTMLSelectElement).value) }, STATS.map((s) => h('option', { value: s.metric }, s.label)));
    frame = { select, picker: h('p', { class: 'picker' }, h('label', { for: select.id }, 'Metric '), select), out: h('div') };
  }
  if (frame.picker.parentElement !== el) el.replaceChildren(frame.picker, frame.out);
  return frame;
}

/** The API's rows as one value per bucket; month buckets are matched on "YYYY-MM" whatever day the API names them by. */
function series(answer: QueryAnswer, keys: string[], every: string): (number | null)[] {
  const byKey = new Map(answer.results.map((r) => [every === 'month' ? String(r.dimensions[0]).slice(0, 7) : String(r.dimensions[0]), r.metrics[0] ?? 0]));
  return keys.map((k) => byKey.get(k) ?? 0);
}

export const visitorsOverTime: Panel = {
  id: 'chart',
  title: 'Visitors over time',
  wide: true,
  async render(el, ctx) {
    const stat = STATS.find((s) => s.metric === ctx.state.metric) ?? STATS[0]!;
    let every: Interval = interval(ctx.days);
    const ask = (range: Ctx['range']) => query(ctx.site.id, { metrics: [stat.metric], date_range: range, dimensions: [`time:${every}`], filters: ctx.filters, limit: 10_000 }, ctx.signal);
    let [cur, prev] = await Promise.all([ask(ctx.range), ask(ctx.previous)]);
    let note = '';
    if (!cur.ok && cur.unavailable && (every === 'month' || every === 'week')) {
      // time:week and time:month are §5 additions: without them a long range is drawn by day (real numbers, finer buckets).
      note = `${every === 'week' ? 'Weekly' : 'Monthly'} buckets are not available from this collector: shown by day.`;
      every = 'day';
      [cur, prev] = await Promise.all([ask(ctx.range), ask(ctx.previous)]);
    }
    if (ctx.signal.aborted) return;
    const { select, out } = ensureFrame(el);
    select.value = stat.metric;
    onPick = (metric) => ctx.update({ metric });
    if (!cur.ok) return fill(out, failure(cur, 'visitors over time', () => void visitorsOverTime.render(el, ctx)));
    const keys = buckets(ctx.days, every);
    const prevKeys = buckets(ctx.previous, every);
    const values = series(cur.data, keys, every);
    const before = prev.ok ? series(prev.data, prevKeys, every) : [];
    const labels = keys.map((k) => bucketLabel(k, every));
    const fmt = (v: number) => format(stat.kind, v);
    const lines = [
      { label: `${stat.label}, this period`, values, stroke: '#2563eb' },
      ...(prev.ok ? [{ label: `${stat.label}, previous period`, values: keys.map((_, i) => before[i] ?? null), stroke: '#6b7280', dash: [6, 4] }] : []),
    ];
    destroy?.();
    destroy = null;
    if (!cur.data.results.length) return fill(out, message('empty', ctx.filters.length ? NO_MATCH : NO_DATA));
    const peak = values.reduce<number>((m, v) => Math.max(m, v ?? 0), 0);
    const box = h('div', {
      class: 'chart',
      role: 'img',
      'aria-label': `${stat.label} by ${every}, ${labels[0]} to ${labels[labels.length - 1]}: peak ${fmt(peak)}. The dashed line is the previous period. Numbers under "Show data".`,
    });
    fill(out, note && h('p', { class: 'panel-note' }, note), box, dataTable(`${stat.label} by ${every}`, labels, lines, fmt));
    destroy = lineChart(box, labels, lines, fmt, stat.kind === 'count');
  },
};

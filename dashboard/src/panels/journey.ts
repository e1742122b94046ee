// Journey: the five stages (attraction → advocacy) with their KPIs from POST /api/v1/journey — each beside the previous
// period and, where the site set one, its target with the progress toward it — and retention by cohort (POST
// /api/v1/retention) under them.
import { retention } from '../api';
import { fill, h, message, vh } from '../dom';
import { change, format, num, pct, type Kind } from '../format';
import { failure, warnings, type Ctx, type Panel } from '../panel';
import { journeyOf, STAGES, type Kpi } from './journey-data';

const title = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const KIND: Record<string, Kind> = { percent: 'percent', seconds: 'duration', currency: 'money' };
/** KPIs where less is better: the arrow still says what happened, only the colour flips. */
const LOWER_IS_BETTER = new Set(['bounce_rate']);

function kpi(k: Kpi, currency: string | undefined, before: boolean): HTMLElement {
  const kind = KIND[k.unit ?? ''] ?? 'count';
  const show = (v: number | null | undefined) => format(kind, v, currency);
  // No visitors before: a rate of 0 % there is no figure to compare with (as in Top stats).
  const ch = k.previous === null ? null : before ? change(k.value, k.previous, kind) : { dir: 'new' as const, text: 'new', words: 'no data in the previous period' };
  const tone = !ch || ch.dir === 'flat' || ch.dir === 'new' ? 'neutral' : (ch.dir === 'up') !== LOWER_IS_BETTER.has(k.id) ? 'good' : 'bad';
  const target = typeof k.target === 'number' && k.target > 0 ? k.target : null;
  const reached = target !== null ? Math.round((100 * (k.value ?? 0)) / target) : null;
  return h(
    'li',
    { class: 'kpi', 'data-kpi': k.id },
    h('span', { class: 'stat-label' }, k.label),
    h('span', { class: 'stat-value' }, show(k.value)),
    ch && h('span', { class: `change ${tone}`, title: ch.words }, h('span', { 'aria-hidden': 'true' }, ch.text), vh(ch.words)),
    h('span', { class: 'stat-prev' }, 'before: ', show(k.previous)),
    target !== null &&
      h('span', { class: 'target' },
        h('progress', { max: 100, value: Math.min(100, reached ?? 0), 'aria-label': `${k.label}: ${pct(reached)} of the target ${show(target)}` }),
        ` ${pct(reached)} of target ${show(target)}`),
    k.breakdown?.length &&
      h('details', { class: 'data' }, h('summary', null, 'By campaign'),
        h('ul', { class: 'plain' }, k.breakdown.map((b) => h('li', null, `${b.key}: ${show(b.value)}`)))),
  );
}

interface RetentionAnswer {
  cohorts: { cohort: string; size: number; retained: number[] }[];
}

const periodOf = (ctx: Ctx) => (ctx.state.range === '12mo' ? 'month' : ctx.state.range === 'day' || ctx.state.range === '7d' ? 'day' : 'week');

async function retentionTable(ctx: Ctx, out: HTMLElement): Promise<void> {
  const period = periodOf(ctx);
  const answer = await retention<RetentionAnswer>(ctx.site.id, ctx.range, period, ctx.signal);
  if (ctx.signal.aborted) return;
  if (!answer.ok) return fill(out, failure(answer, 'retention (POST /api/v1/retention)', () => void retentionTable(ctx, out)));
  const cohorts = answer.data.cohorts;
  if (!cohorts.length) return fill(out, message('empty', 'No returning visitors to count in this range yet.'));
  const width = Math.max(...cohorts.map((c) => c.retained.length));
  fill(
    out,
    h(
      'table',
      { class: 'cohorts' },
      h('caption', { class: 'vh' }, `Share of each cohort still visiting, by ${period}`),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Cohort'), h('th', { scope: 'col', class: 'n' }, 'Visitors'), Array.from({ length: width }, (_, i) => h('th', { scope: 'col', class: 'n' }, `${title(period)} ${i}`)))),
      h('tbody', null, cohorts.map((c) => h('tr', null, h('th', { scope: 'row' }, c.cohort), h('td', { class: 'n' }, num(c.size)), c.retained.map((n) => h('td', { class: 'n', title: `${num(n)} visitors` }, pct(c.size ? (100 * n) / c.size : 0)))))),
    ),
  );
}

/**
 * Retention by cohort, asked when opened: it is the most expensive question on the page (every visit of the range, by
 * visitor) and not one of the journey's headline figures, so the first render doesn't wait for it.
 */
function retentionSection(ctx: Ctx): HTMLElement {
  const out = h('div', { class: 'scroll' }, h('p', { class: 'muted' }, 'Loading…'));
  let asked = false;
  const details = h('details', { class: 'retention' }, h('summary', null, `Show retention by ${periodOf(ctx)}ly cohort`), out);
  details.addEventListener('toggle', () => {
    if (details.open && !asked) {
      asked = true;
      void retentionTable(ctx, out);
    }
  });
  return h('div', null, h('h3', null, 'Retention'), details);
}

export const journeyPanel: Panel = {
  id: 'journey',
  title: 'Journey',
  wide: true,
  note: (ctx) => (ctx.filters.length ? 'Journey KPIs count the whole site: the filters above do not apply here.' : null),
  async render(el, ctx) {
    const j = await journeyOf(ctx);
    if (ctx.signal.aborted) return;
    const ret = retentionSection(ctx);
    if (!j.ok) return fill(el, failure(j, 'journey KPIs (POST /api/v1/journey)', () => void journeyPanel.render(el, ctx)), ret);
    const byStage = new Map(j.data.stages.map((s) => [s.stage, s.kpis]));
    const before = (byStage.get('attraction')?.find((k) => k.id === 'visitors')?.previous ?? 1) > 0;
    fill(
      el,
      h(
        'ol',
        { class: 'stages' },
        STAGES.map((s) => {
          const kpis = byStage.get(s) ?? [];
          return h('li', { class: 'stage' }, h('h3', null, title(s)), kpis.length ? h('ul', { class: 'kpis' }, kpis.map((k) => kpi(k, j.data.meta?.currency ?? ctx.site.currency, before))) : h('p', { class: 'muted' }, 'No KPI for this stage yet.'));
        }),
      ),
      warnings(j.data.meta),
      ret,
    );
  },
};

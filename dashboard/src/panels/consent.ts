// Consent: what visitors decided (GET /api/v1/consent) — grant rate per category, decisions by method, the share of page
// views that arrived cookieless, and the events the collector dropped because their category was not granted.
import { consent } from '../api';
import { fill, h, message, NO_DATA } from '../dom';
import { num, pct } from '../format';
import { failure, type Panel } from '../panel';

interface ConsentAnswer {
  decisions: number;
  by_method: Record<string, number>;
  grant_rate: Record<string, number>;
  current_state: { decisions: number; grant_rate: Record<string, number> };
  pageviews: { total: number; cookieless: number; cookieless_share: number };
  dropped_for_consent: Record<string, number>;
}

const METHODS: [string, string][] = [
  ['banner_accept', 'Banner: accept all'],
  ['banner_reject', 'Banner: reject all'],
  ['banner_partial', 'Banner: some categories'],
  ['preferences', 'Preferences dialog'],
  ['api', 'Site API (tp.consent.set)'],
  ['gpc', 'Global Privacy Control'],
];

const bar = (share: number) => {
  const b = h('span', { class: 'bar', 'aria-hidden': 'true' });
  b.style.width = `${Math.max(0, Math.min(100, share))}%`;
  return b;
};

const table = (caption: string, head: string[], rows: HTMLElement[]) =>
  h('table', { class: 'list' }, h('caption', null, caption), h('thead', null, h('tr', null, head.map((t, i) => h('th', { scope: 'col', class: i ? 'n' : null }, t)))), h('tbody', null, rows));

export const consentPanel: Panel = {
  id: 'consent',
  title: 'Consent',
  note: () => 'Consent is recorded per decision, not per page: the filters above do not apply here.',
  async render(el, ctx) {
    const answer = await consent<ConsentAnswer>(ctx.site.id, ctx.range, ctx.signal);
    if (ctx.signal.aborted) return;
    if (!answer.ok) return fill(el, failure(answer, 'consent statistics', () => void consentPanel.render(el, ctx)));
    const d = answer.data;
    const dropped = Object.values(d.dropped_for_consent).reduce((a, b) => a + b, 0);
    if (!d.decisions && !d.pageviews.total && !dropped) return fill(el, message('empty', NO_DATA));
    const cats = Object.keys(d.grant_rate);
    const total = Math.max(d.decisions, 1);
    fill(
      el,
      h(
        'ul',
        { class: 'stats small' },
        h('li', { class: 'stat' }, h('span', { class: 'stat-label' }, 'Decisions'), h('span', { class: 'stat-value' }, num(d.decisions))),
        h('li', { class: 'stat' }, h('span', { class: 'stat-label' }, 'Cookieless page views'), h('span', { class: 'stat-value' }, pct(d.pageviews.cookieless_share)), h('span', { class: 'stat-prev' }, `${num(d.pageviews.cookieless)} of ${num(d.pageviews.total)}`)),
        h('li', { class: 'stat' }, h('span', { class: 'stat-label' }, 'Events dropped for missing consent'), h('span', { class: 'stat-value' }, num(dropped))),
      ),
      table(
        'Grant rate per category',
        ['Category', 'Of decisions', 'Current choice'],
        cats.map((c) => h('tr', null, h('th', { scope: 'row', class: 'cell' }, bar(d.grant_rate[c] ?? 0), h('span', { class: 'label' }, c)), h('td', { class: 'n' }, pct(d.grant_rate[c])), h('td', { class: 'n' }, pct(d.current_state.grant_rate[c])))),
      ),
      table(
        'Decisions by method',
        ['Method', 'Decisions', 'Share'],
        METHODS.filter(([k]) => d.by_method[k]).map(([k, label]) =>
          h('tr', null, h('th', { scope: 'row', class: 'cell' }, bar((100 * d.by_method[k]!) / total), h('span', { class: 'label' }, label)), h('td', { class: 'n' }, num(d.by_method[k])), h('td', { class: 'n' }, pct((100 * d.by_method[k]!) / total))),
        ),
      ),
      dropped > 0 &&
        table(
          'Events dropped for missing consent, by category',
          ['Category', 'Events'],
          Object.entries(d.dropped_for_consent).map(([c, n]) => h('tr', null, h('th', { scope: 'row' }, c), h('td', { class: 'n' }, num(n)))),
        ),
    );
  },
};

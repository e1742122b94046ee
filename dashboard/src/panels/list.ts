// The breakdown lists (Sources, Pages, Countries, Devices, Goals): one query per visible tab, rows that filter the whole
// dashboard when activated, and an Export CSV of the full list.
import { query, type QueryBody } from '../api';
import { toCsv, download } from '../csv';
import { fill, h, message, NO_DATA, NO_MATCH, vh } from '../dom';
import { format, type Kind } from '../format';
import { failure, warnings, type Ctx, type Panel } from '../panel';
import type { Filter } from '../state';

export interface Column {
  metric: string;
  label: string;
  kind: Kind;
}
export interface Tab {
  label: string;
  /** the dimension the list splits by (and filters on when a row is activated) */
  dim: string;
  /** the first column's header */
  head: string;
  columns: Column[];
  /** columns to drop, and ask again without, when the collector doesn't have them (e.g. revenue) */
  optional?: string[];
  /** filters every query of this tab adds (top pages count page views only) */
  scope?: Filter[];
  /** how a value reads (country codes as names); the CSV keeps the raw value */
  show?: (v: string, ctx: Ctx) => string;
  /** what a missing value means here (direct traffic has no source) */
  none?: string;
  /** what the question is, for "not available yet" */
  what: string;
}

const SHOWN = 10;
const EXPORT_LIMIT = 1000;

/** A list panel with tabs; the chosen tab survives reloads of the panel (not the page). */
export function listPanel(id: string, title: string, tabs: Tab[]): Panel {
  let active = 0;
  const body = (ctx: Ctx, tab: Tab, cols: Column[], limit: number): QueryBody => ({
    metrics: cols.map((c) => c.metric),
    date_range: ctx.range,
    dimensions: [tab.dim],
    filters: [...(tab.scope ?? []), ...ctx.filters],
    limit,
  });

  /** Asks with every column, then — if the collector lacks an optional one — without it. */
  async function ask(ctx: Ctx, tab: Tab, limit: number) {
    let cols = tab.columns;
    let answer = await query(ctx.site.id, body(ctx, tab, cols, limit), ctx.signal);
    if (!answer.ok && answer.unavailable && tab.optional?.length) {
      cols = cols.filter((c) => !tab.optional!.includes(c.metric));
      answer = await query(ctx.site.id, body(ctx, tab, cols, limit), ctx.signal);
    }
    return { answer, cols };
  }

  /** The rows of the active tab into `out`. */
  async function show(out: HTMLElement, ctx: Ctx): Promise<void> {
    const tab = tabs[active]!;
    const exportButton = h('button', { type: 'button', class: 'export', onclick: () => void exportCsv(ctx, tab) }, 'Export CSV');
    const { answer, cols } = await ask(ctx, tab, SHOWN);
    if (ctx.signal.aborted) return;
    if (!answer.ok) return fill(out, failure(answer, tab.what, () => void show(out, ctx)));
    const rows = answer.data.results;
    const currency = answer.data.meta.currency ?? ctx.site.currency;
    if (!rows.length) return fill(out, message('empty', ctx.filters.length ? NO_MATCH : NO_DATA), exportButton);
    const max = Math.max(...rows.map((r) => r.metrics[0] ?? 0), 1);
    const table = h(
      'table',
      { class: 'list' },
      h('caption', { class: 'vh' }, `${title}: ${tab.label}`),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, tab.head), cols.map((c) => h('th', { scope: 'col', class: 'n' }, c.label)))),
      h(
        'tbody',
        null,
        rows.map((r) => {
          const raw = r.dimensions[0];
          const missing = raw === null || raw === undefined || raw === '';
          const label = missing ? (tab.none ?? '(not set)') : tab.show ? tab.show(String(raw), ctx) : String(raw);
          const bar = h('span', { class: 'bar', 'aria-hidden': 'true' });
          bar.style.width = `${(100 * (r.metrics[0] ?? 0)) / max}%`;
          // Only a real value can be a filter: the API's filters match values, and "no source" is not one.
          const name = missing
            ? h('span', { class: 'label' }, label)
            : h('button', { type: 'button', class: 'label', onclick: () => ctx.addFilter(['is', tab.dim, [String(raw)]]) }, label, vh(` (filter by this ${tab.head.toLowerCase()})`));
          return h('tr', null, h('th', { scope: 'row', class: 'cell' }, bar, name), cols.map((c, i) => h('td', { class: 'n' }, format(c.kind, r.metrics[i], currency))));
        }),
      ),
    );
    fill(out, table, exportButton, warnings(answer.data.meta));
  }

  const panel: Panel = {
    id,
    title,
    async render(el, ctx) {
      const out = h('div', { class: 'list-out' });
      // The tab buttons stay in place when switching (focus stays on the one pressed); only the rows are redrawn.
      const buttons = tabs.map((t, i) =>
        h('button', {
          type: 'button',
          'aria-pressed': String(i === active),
          onclick: () => {
            active = i;
            buttons.forEach((b, j) => b.setAttribute('aria-pressed', String(j === i)));
            out.setAttribute('aria-busy', 'true');
            void show(out, ctx).finally(() => out.setAttribute('aria-busy', 'false'));
          },
        }, t.label),
      );
      const tabBar = tabs.length > 1 && h('div', { class: 'tabs', role: 'group', 'aria-label': `${title}: show` }, buttons);
      await show(out, ctx);
      if (!ctx.signal.aborted) fill(el, tabBar, out);
    },
  };

  async function exportCsv(ctx: Ctx, tab: Tab): Promise<void> {
    const { answer, cols } = await ask({ ...ctx, signal: new AbortController().signal }, tab, EXPORT_LIMIT);
    if (!answer.ok) return alert(`Export failed: ${answer.message}`);
    const csv = toCsv([tab.dim, ...cols.map((c) => c.metric)], answer.data.results.map((r) => [r.dimensions[0] ?? null, ...r.metrics]));
    const range = Array.isArray(ctx.range) ? ctx.range.join('_') : ctx.range;
    download(`${ctx.site.id}-${id}-${tab.dim.replace(':', '-')}-${range}.csv`, csv);
  }
  return panel;
}

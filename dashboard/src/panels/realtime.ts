// Current visitors: distinct visitors with an event in the last 5 minutes (the query API's "realtime" range), asked again
// every 30 s while the page is visible — not in a background tab, where nobody reads it.
import { query } from '../api';
import { fill, h } from '../dom';
import { num } from '../format';
import type { Ctx, Panel } from '../panel';

const EVERY_MS = 30_000;

async function ask(ctx: Ctx): Promise<string | null> {
  const a = await query(ctx.site.id, { metrics: ['visitors'], date_range: 'realtime', filters: ctx.filters }, ctx.signal);
  if (ctx.signal.aborted) return null;
  if (!a.ok) return a.unavailable ? 'not available' : 'unknown';
  return num(a.data.results[0]?.metrics[0] ?? 0);
}

export const currentVisitors: Panel = {
  id: 'now',
  title: 'Current visitors',
  async render(el, ctx) {
    const text = await ask(ctx);
    if (text === null) return;
    const value = h('span', { class: 'now-value' }, text);
    fill(el, h('p', { class: 'now' }, value, h('span', { class: 'now-note' }, ' in the last 5 minutes')));
    const timer = setInterval(async () => {
      if (document.visibilityState !== 'visible') return;
      const next = await ask(ctx);
      if (next !== null) value.textContent = next;
    }, EVERY_MS);
    ctx.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  },
};

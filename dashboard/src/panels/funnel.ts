// Funnel: steps built in the page (page views of a path, or named events), answered by POST /api/v1/funnel — visitors per
// step on stitched identities, conversion from the first step and from the step before, and the drop-off between them.
import { funnel as askFunnel, query } from '../api';
import { fill, h, message, uid, vh } from '../dom';
import { num, pct } from '../format';
import { failure, warnings, type Ctx, type Panel } from '../panel';
import type { Filter, Step } from '../state';

const MAX_STEPS = 8;
let builder: { form: HTMLFormElement; out: HTMLElement; applied: string } | null = null;
let apply: (steps: Step[]) => void = () => {};
let suggest: (() => void) | null = null;

/** Steps worth starting with: any page view, then the site's first conversion goal (or first goal) when goals are configured. */
function defaults(ctx: Ctx): Step[] {
  const goal = ctx.site.goals?.find((g) => g.stage === 'conversion') ?? ctx.site.goals?.[0];
  if (!goal) return [];
  return [{ event: 'pageview' }, goal.event ? { event: goal.event } : { event: 'pageview', page: goal.page!.replace(/\*$/, '') }];
}

function stepRow(step: Step, i: number, list: HTMLOListElement): HTMLElement {
  const kind = h('select', { id: uid('kind') }, h('option', { value: 'pageview' }, 'Page view'), h('option', { value: 'event' }, 'Event'));
  kind.value = step.event === 'pageview' ? 'pageview' : 'event';
  const input = h('input', { id: uid('what'), type: 'text', value: step.event === 'pageview' ? (step.page ?? '') : step.event, autocomplete: 'off', onfocus: () => suggest?.() });
  const what = h('label', { for: input.id }, '');
  const sync = () => {
    const page = kind.value === 'pageview';
    what.textContent = page ? 'Page path (empty: any page)' : 'Event name';
    input.setAttribute('list', page ? 'tp-pages' : 'tp-events');
    input.placeholder = page ? '/pricing' : 'signup';
  };
  kind.addEventListener('change', sync);
  sync();
  const row = h(
    'li',
    null,
    h('fieldset', null, h('legend', null, `Step ${i + 1}`), h('label', { for: kind.id }, 'Kind'), kind, what, input, h('button', { type: 'button', onclick: () => (row.remove(), renumber(list)) }, 'Remove', vh(` step ${i + 1}`))),
  );
  return row;
}

function renumber(list: HTMLOListElement): void {
  [...list.children].forEach((li, i) => {
    li.querySelector('legend')!.textContent = `Step ${i + 1}`;
    li.querySelector('button .vh')!.textContent = ` step ${i + 1}`;
  });
}

function read(list: HTMLOListElement): Step[] {
  return [...list.children].map((li) => {
    const [kind, input] = [li.querySelector('select')!, li.querySelector('input')!];
    const v = input.value.trim();
    return kind.value === 'pageview' ? (v ? { event: 'pageview', page: v } : { event: 'pageview' }) : { event: v };
  });
}

function makeBuilder(steps: Step[]): { form: HTMLFormElement; out: HTMLElement; applied: string } {
  const list = h('ol', { class: 'steps' });
  steps.forEach((s, i) => list.append(stepRow(s, i, list)));
  const error = h('p', { class: 'form-error', role: 'alert' });
  const form = h(
    'form',
    {
      class: 'funnel-form',
      'aria-label': 'Funnel steps',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const s = read(list);
        if (s.length < 2 || s.some((x) => !x.event)) return void (error.textContent = 'A funnel needs at least two steps, and every event step a name.');
        error.textContent = '';
        apply(s);
      },
    },
    list,
    h('p', { class: 'actions' },
      h('button', { type: 'button', onclick: () => list.children.length < MAX_STEPS && (list.append(stepRow({ event: 'pageview' }, list.children.length, list)), list.querySelector<HTMLElement>('li:last-child select')?.focus()) }, 'Add step'),
      h('button', { type: 'submit' }, 'Show funnel')),
    error,
  );
  return { form, out: h('div', { class: 'funnel-out' }), applied: JSON.stringify(steps) };
}

/** Page and event names to pick from, asked once when a step field is first focused (not on every load). */
function suggestions(ctx: Ctx): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    const lists: [string, string, Filter[]][] = [['tp-pages', 'event:page', [['is', 'event:name', ['pageview']]]], ['tp-events', 'event:name', []]];
    for (const [id, dim, filters] of lists) {
      void query(ctx.site.id, { metrics: ['visitors'], date_range: ctx.range, dimensions: [dim], filters, limit: 50 }).then((a) => {
        document.getElementById(id)?.remove();
        if (a.ok) document.body.append(h('datalist', { id }, a.data.results.map((r) => h('option', { value: String(r.dimensions[0] ?? '') }))));
      });
    }
  };
}

export const funnelPanel: Panel = {
  id: 'funnel',
  title: 'Funnel',
  wide: true,
  note: () => 'Funnels count visitors across the whole site (stitched identities): the filters above do not apply to them.',
  async render(el, ctx) {
    const steps = ctx.state.funnel.length ? ctx.state.funnel : defaults(ctx);
    if (!builder || builder.applied !== JSON.stringify(steps) || !el.contains(builder.form)) {
      builder = makeBuilder(steps);
      el.replaceChildren(builder.form, builder.out);
    }
    apply = (s) => {
      // The form that asked stays as it is (focus stays on "Show funnel"): only the answer is redrawn.
      builder!.applied = JSON.stringify(s);
      ctx.update({ funnel: s });
    };
    suggest = suggestions(ctx);
    const out = builder.out;
    if (steps.length < 2) return fill(out, message('info', 'Add two or more steps — page views of a path, or events by name — and choose "Show funnel".'));
    const answer = await askFunnel(ctx.site.id, ctx.range, steps, ctx.signal);
    if (ctx.signal.aborted) return;
    if (!answer.ok) return fill(out, failure(answer, 'funnels', () => void funnelPanel.render(el, ctx)));
    const rows = answer.data.steps;
    if (!rows[0]?.visitors) return fill(out, message('empty', 'No visitor took the first step in this range.'));
    const name = (s: Step) => (s.event === 'pageview' ? `Page view${s.page ? ` of ${s.page}` : ''}` : s.event);
    fill(
      out,
      h(
        'table',
        { class: 'list funnel' },
        h('caption', { class: 'vh' }, 'Funnel steps'),
        h('thead', null, h('tr', null, ['Step', 'Visitors', 'Conversion', 'From previous step', 'Dropped off'].map((t, i) => h('th', { scope: 'col', class: i ? 'n' : null }, t)))),
        h(
          'tbody',
          null,
          rows.map((r, i) => {
            const bar = h('span', { class: 'bar', 'aria-hidden': 'true' });
            bar.style.width = `${r.conversion_rate}%`;
            return h('tr', null, h('th', { scope: 'row', class: 'cell' }, bar, h('span', { class: 'label' }, `${i + 1}. ${name(r)}`)),
              h('td', { class: 'n' }, num(r.visitors)), h('td', { class: 'n' }, pct(r.conversion_rate)),
              h('td', { class: 'n' }, i ? pct(r.step_conversion_rate) : '–'), h('td', { class: 'n' }, i ? num(r.dropoff) : '–'));
          }),
        ),
      ),
      warnings(answer.data.meta),
    );
  },
};

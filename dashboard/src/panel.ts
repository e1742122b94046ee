// A panel: one region of the page with a heading, loading on its own. Each panel asks the API its own questions, so a slow
// or failing one never holds the others back; the page only coordinates what they share (site, range, filters).
import type { Site } from './api';
import { h, message, uid } from './dom';
import type { DateRange, Filter, State } from './state';

export interface Ctx {
  site: Site;
  state: State;
  /** the range as the API takes it */
  range: DateRange;
  /** the same range as inclusive days, and the period before it */
  days: [string, string];
  previous: [string, string];
  filters: Filter[];
  signal: AbortSignal;
  /** adds a filter to the whole dashboard (a list row was activated) */
  addFilter(f: Filter): void;
  /** changes the state (funnel steps, chart metric) and reloads what depends on it */
  update(patch: Partial<State>): void;
  /** one answer shared by the panels of one load (Identity and Journey read the same journey call) */
  shared<T>(key: string, load: () => Promise<T>): Promise<T>;
}

export interface Panel {
  id: string;
  title: string;
  /** a short line under the heading (e.g. that filters don't apply here) */
  note?: (ctx: Ctx) => string | null;
  wide?: boolean;
  render(body: HTMLElement, ctx: Ctx): Promise<void>;
}

export interface Mounted {
  section: HTMLElement;
  load(ctx: Ctx): Promise<void>;
}

/**
 * The region for a panel: `<section aria-labelledby>` with a real heading, so assistive technology lists it by name.
 * `aria-busy` is true while it loads (and is what the tests and the benchmark wait on).
 */
export function mount(p: Panel): Mounted {
  const id = uid(p.id);
  const body = h('div', { class: 'panel-body' });
  const note = h('p', { class: 'panel-note', hidden: true });
  const section = h('section', { class: `panel${p.wide ? ' wide' : ''}`, 'aria-labelledby': id, 'data-panel': p.id, 'aria-busy': 'true' }, h('h2', { id }, p.title), note, body);
  let seq = 0;
  async function load(ctx: Ctx): Promise<void> {
    const mine = ++seq;
    section.setAttribute('aria-busy', 'true');
    const text = p.note?.(ctx) ?? null;
    note.textContent = text ?? '';
    note.hidden = !text;
    try {
      await p.render(body, ctx);
    } catch (e) {
      if (mine !== seq || ctx.signal.aborted) return;
      // A bug in one panel stays in that panel.
      console.error(e);
      body.replaceChildren(message('error', 'This panel failed to draw. Reload the page to try again.'));
    } finally {
      if (mine === seq) section.setAttribute('aria-busy', 'false');
    }
  }
  return { section, load };
}

/** The answer's own caveats (`meta.warnings`, e.g. a range reaching past the raw events D1 keeps), shown as they are. */
export function warnings(meta: { warnings?: string[] } | undefined): HTMLElement | null {
  const list = meta?.warnings ?? [];
  // Folded under a summary that says what kind of note it is: the same long caveat can apply to many panels at once.
  return list.length ? h('details', { class: 'warn' }, h('summary', null, 'Note: part of this answer is limited'), list.map((w) => h('p', null, w))) : null;
}

/** What a panel shows for a failed answer: honest about a missing feature, with a retry for anything else. */
export function failure(err: { unavailable: boolean; message: string; code: string }, what: string, retry: () => void): HTMLElement {
  if (err.unavailable) return message('unavailable', `Not available yet: this collector doesn't answer ${what}.`);
  return message('error', `Couldn't load ${what}: ${err.message}`, retry);
}

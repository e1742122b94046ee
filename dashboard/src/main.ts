// The marketer dashboard (CONTRACT §6): sign in with an API key (it becomes an HttpOnly session cookie and is forgotten by
// the page), then the site's panels, each loading on its own from the collector's API. Site, range and filters live in the
// URL, so a reload or a shared link shows the same view.
import './styles.css';
import { session, whenSignedOut, type Site } from './api';
import { h, uid } from './dom';
import { describe, filterBar } from './filters';
import { mount, type Ctx, type Mounted, type Panel } from './panel';
import { countries, devices, goals, pages, sources } from './panels/breakdowns';
import { consentPanel } from './panels/consent';
import { funnelPanel } from './panels/funnel';
import { identityPanel } from './panels/identity';
import { journeyPanel } from './panels/journey';
import { currentVisitors } from './panels/realtime';
import { topStats } from './panels/top-stats';
import { visitorsOverTime } from './panels/visitors';
import { apiRange, previousDays, RANGES, rangeDays, readUrl, toUrl, type Filter, type State } from './state';

const root = document.getElementById('app')!;
const RANGE_NAMES: Record<(typeof RANGES)[number], string> = { day: 'Today', '7d': 'Last 7 days', '30d': 'Last 30 days', month: 'Month to date', '12mo': 'Last 12 months', custom: 'Custom range…' };
const PANELS: Panel[] = [topStats, visitorsOverTime, sources, pages, countries, devices, goals, consentPanel, funnelPanel, identityPanel, journeyPanel];
/** Which panels a change of one state key reloads (everything else reloads them all). */
const ONLY: Partial<Record<keyof State, string>> = { metric: 'chart', funnel: 'funnel' };

function signIn(note = ''): void {
  document.title = 'Sign in · Touchpoint';
  const input = h('input', { id: 'api-key', name: 'key', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true });
  const error = h('p', { class: 'form-error', role: 'alert' }, note);
  const button = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'signin',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        button.disabled = true;
        error.textContent = '';
        const answer = await session.signIn(input.value);
        // The key goes no further than this request: the field is emptied and nothing keeps it.
        input.value = '';
        button.disabled = false;
        if (answer.ok) return dashboard(answer.data.sites);
        error.textContent = answer.status === 401 ? 'That API key is unknown or revoked.' : `Could not sign in: ${answer.message}`;
        input.focus();
      },
    },
    h('h1', null, 'Touchpoint'),
    h('p', null, 'Sign in with an API key. It is exchanged for a session that ends when you sign out, or after 12 hours; the page does not keep it.'),
    h('label', { for: input.id }, 'API key'),
    input,
    button,
    error,
  );
  root.replaceChildren(h('main', { class: 'signin-page' }, form));
  input.focus();
}

function dashboard(sites: Site[]): void {
  const mounted: { panel: Panel; m: Mounted; ctrl: AbortController | null }[] = [currentVisitors, ...PANELS].map((panel) => ({ panel, m: mount(panel), ctrl: null }));
  let ended = false;
  /** Stops everything this view started (requests, the current-visitors timer) before the page changes hands. */
  const end = () => {
    ended = true;
    for (const x of mounted) x.ctrl?.abort();
    window.onpopstate = null;
  };
  whenSignedOut(() => {
    if (ended) return;
    end();
    signIn('Your session has ended. Sign in again.');
  });
  if (!sites.length) {
    root.replaceChildren(h('main', { class: 'signin-page' }, h('h1', null, 'Touchpoint'), h('p', null, 'This API key can read no configured site.'), signOutButton(end)));
    return;
  }
  let state = readUrl();
  if (!sites.some((s) => s.id === state.site)) state.site = sites[0]!.id;
  const live = h('p', { class: 'vh', 'aria-live': 'polite' });
  const siteSelect = h('select', { id: uid('site') }, sites.map((s) => h('option', { value: s.id }, s.name)));
  const rangeSelect = h('select', { id: uid('range') }, RANGES.map((r) => h('option', { value: r }, RANGE_NAMES[r])));
  const from = h('input', { id: uid('from'), type: 'date' });
  const to = h('input', { id: uid('to'), type: 'date' });
  const custom = h('span', { class: 'custom', hidden: true }, h('label', { for: from.id }, 'From'), from, h('label', { for: to.id }, 'To'), to, h('button', { type: 'button', onclick: () => applyCustom() }, 'Apply'));
  const heading = h('h1', { tabindex: '-1' });
  const filtersBox = h('div');
  const now = mounted[0]!.m.section;
  now.classList.add('now-panel');

  const site = () => sites.find((s) => s.id === state.site) ?? sites[0]!;
  let shared = new Map<string, Promise<unknown>>();

  /** Reloads every panel (or those named): each with its own AbortController, so one reload never cancels another panel. */
  function load(only?: string): void {
    const s = site();
    state.site = s.id;
    document.title = `${s.name} · Touchpoint`;
    heading.textContent = s.name;
    siteSelect.value = s.id;
    rangeSelect.value = state.range;
    custom.hidden = state.range !== 'custom';
    const days = rangeDays(state, s.timezone);
    [from.value, to.value] = days;
    filtersBox.replaceChildren(filterBar(state.filters, removeFilter, s));
    if (!only) shared = new Map();
    for (const x of mounted) {
      if (only && x.panel.id !== only) continue;
      x.ctrl?.abort();
      x.ctrl = new AbortController();
      const ctx: Ctx = {
        site: s,
        state,
        range: apiRange(state),
        days,
        previous: previousDays(state, s.timezone),
        filters: state.filters,
        signal: x.ctrl.signal,
        addFilter,
        update,
        shared: <T>(key: string, make: () => Promise<T>) => {
          if (!shared.has(key)) {
            const p = make();
            shared.set(key, p);
            // A failed answer is not kept: a panel's Retry asks again.
            void p.then((r) => (r as { ok?: boolean } | null)?.ok === false && shared.delete(key));
          }
          return shared.get(key) as Promise<T>;
        },
      };
      void x.m.load(ctx);
    }
  }

  function go(next: State, only?: string): void {
    state = next;
    history.pushState(null, '', toUrl(state));
    load(only);
  }
  function update(patch: Partial<State>): void {
    const keys = Object.keys(patch) as (keyof State)[];
    go({ ...state, ...patch }, keys.length === 1 ? ONLY[keys[0]!] : undefined);
  }
  function addFilter(f: Filter): void {
    // One filter per dimension: choosing another source replaces the source filter, as in Plausible.
    go({ ...state, filters: [...state.filters.filter(([, dim]) => dim !== f[1]), f] });
    live.textContent = `Filter added: ${describe(f, site())}. The dashboard is updating.`;
    filtersBox.querySelector<HTMLElement>(`.chip[data-filter="${state.filters.length - 1}"]`)?.focus();
  }
  function removeFilter(i: number): void {
    const gone = state.filters[i]!;
    go({ ...state, filters: state.filters.filter((_, j) => j !== i) });
    live.textContent = `Filter removed: ${describe(gone, site())}.`;
    (filtersBox.querySelector<HTMLElement>('.chip') ?? heading).focus();
  }
  function applyCustom(): void {
    if (!from.value || !to.value || from.value > to.value) {
      live.textContent = 'Choose a start date on or before the end date.';
      return from.focus();
    }
    go({ ...state, range: 'custom', from: from.value, to: to.value });
  }
  siteSelect.addEventListener('change', () => go({ ...state, site: siteSelect.value, filters: [], funnel: [] }));
  rangeSelect.addEventListener('change', () => {
    if (rangeSelect.value === 'custom') {
      custom.hidden = false;
      return from.focus();
    }
    go({ ...state, range: rangeSelect.value as State['range'], from: undefined, to: undefined } as State);
  });
  window.onpopstate = () => {
    state = readUrl();
    load();
  };

  root.replaceChildren(
    h(
      'header',
      { class: 'top' },
      h('div', { class: 'brand' }, h('p', { class: 'muted' }, 'Touchpoint'), heading),
      h('div', { class: 'controls' }, h('label', { for: siteSelect.id }, 'Site'), siteSelect, h('label', { for: rangeSelect.id }, 'Date range'), rangeSelect, custom),
      now,
      signOutButton(end),
    ),
    filtersBox,
    live,
    h('main', { class: 'grid' }, mounted.slice(1).map((x) => x.m.section)),
  );
  history.replaceState(null, '', toUrl(state));
  load();
  heading.focus();
}

function signOutButton(before: () => void): HTMLElement {
  return h('button', { type: 'button', class: 'signout', onclick: async () => (before(), await session.signOut(), signIn('You are signed out.')) }, 'Sign out');
}

async function boot(): Promise<void> {
  const s = await session.get();
  if (s.ok) dashboard(s.data.sites);
  else signIn();
}
void boot();

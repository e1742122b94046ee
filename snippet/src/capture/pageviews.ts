import { EVENT } from '../../../shared/wire';
import { D, on, safe, uuid, W } from '../util';
import type { Emit } from './types';

type Listener = (url: string) => void;

/**
 * Page views, including SPA navigation: pushState, replaceState with a changed path, popstate,
 * and hashchange when the site opts in. The same URL twice in a row counts once; a virtual
 * page view's referrer is the previous virtual URL.
 */
export function createPageviews(emit: Emit, hashRouting: boolean) {
  let pv = uuid();
  let last = '';
  const before: Listener[] = [];
  const key = (u: URL) => u.origin + u.pathname + u.search + (hashRouting ? u.hash : '');

  function view(force = false): void {
    const url = new URL(location.href);
    const k = key(url);
    if (k === last && !force) return;
    const prev = last;
    if (k !== prev) {
      // A real navigation: the outgoing page view ends (engagement, scroll, forms) and a new one starts.
      for (const fn of before) safe(fn)(prev);
      if (prev) pv = uuid();
    }
    last = k;
    emit(EVENT.pageview, undefined, 'analytics', prev || D.referrer || undefined);
  }

  for (const m of ['pushState', 'replaceState'] as const) {
    const orig = history[m];
    history[m] = function (this: History, ...args: Parameters<History['pushState']>) {
      const r = orig.apply(this, args);
      safe(view)();
      return r;
    };
  }
  on(W, 'popstate', () => view());
  if (hashRouting) on(W, 'hashchange', () => view());

  return {
    view,
    /** the current page-view id */
    id: () => pv,
    /** called with the outgoing URL before each new page view (engagement, scroll, forms) */
    beforeNext: (fn: Listener) => before.push(fn),
  };
}

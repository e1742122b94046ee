import { EVENT } from '../../../shared/wire';
import { cleanUrl, D, on, safe, uuid, W } from '../util';
import type { Emit } from './types';

/*
 * Page views, including SPA navigation: pushState, replaceState with a changed path, popstate,
 * and hashchange when the site opts in. The same URL twice in a row counts once; a virtual
 * page view's referrer is the previous virtual URL.
 */
let emit: Emit;
let hash = false;
let last = '';
let ref = '';
let ended: () => void;
/** the current page-view id: every event names the page view it happened in */
export let pageviewId = uuid();

/** `onEnd` runs before each new page view (engagement, scroll, forms of the outgoing one). */
export function capturePageviews(e: Emit, hashRouting: boolean | undefined, onEnd: () => void): void {
  emit = e;
  hash = !!hashRouting;
  ended = onEnd;
  for (const m of ['pushState', 'replaceState'] as const) {
    const orig = history[m];
    history[m] = function (this: History, ...args: Parameters<History['pushState']>) {
      const r = orig.apply(this, args);
      safe(view)();
      return r;
    };
  }
  on(W, 'popstate', () => view());
  if (hash) on(W, 'hashchange', () => view());
}

/**
 * Records a page view of the current URL; `force` counts it again even when the URL did not
 * change (consent given on this page, `tp.page()`), with the same referrer as the first time.
 */
export function view(force?: boolean): void {
  const u = location;
  const k = u.origin + u.pathname + u.search + (hash ? u.hash : '');
  if (k == last && !force) return;
  if (k != last) {
    if (last) {
      // A real navigation: the outgoing page view ends and a new one starts.
      safe(ended)();
      pageviewId = uuid();
    }
    ref = last || D.referrer;
    last = k;
  }
  emit(EVENT.pageview, undefined, 'analytics', ref ? cleanUrl(ref, hash) : undefined);
}

import { EVENT } from '../../../shared/wire';
import { D, now, on, W } from '../util';
import { scrollDepth } from './scroll';
import type { Emit } from './types';

/*
 * Engagement time per page view: counted while the page is visible and the visitor was active
 * in the last 30 s; sent when the page is hidden (pagehide/visibilitychange) and on SPA route change.
 */
let emit: Emit;
let total = 0;
let since = 0;
let lastInput = now();
const visibleNow = () => (D.visibilityState == 'visible' ? now() : 0);

const tick = () => {
  const t = now();
  if (since) total += Math.min(t - since, Math.max(0, lastInput + 3e4 - since));
  since = visibleNow();
};

export function captureEngagement(e: Emit): void {
  emit = e;
  since = visibleNow();
  for (const t of ['pointerdown', 'keydown', 'scroll'])
    on(D, t, () => (tick(), (lastInput = now())), { capture: true, passive: true });
  on(D, 'visibilitychange', tick);
}

/** Sends the time engaged on the current page view (if ≥ 1 s) and starts a new count. */
export function sendEngagement(): void {
  tick();
  if (total >= 1e3) emit(EVENT.engagement, { ms: total, scroll: scrollDepth });
  total = 0;
  since = visibleNow();
}

/** The page is going away or to the background: bfcache-safe (no unload listener). */
export const whenHidden = (fn: () => void): void => {
  on(D, 'visibilitychange', () => D.visibilityState == 'hidden' && fn());
  on(W, 'pagehide', fn);
};

import { EVENT } from '../../../shared/wire';
import { D, now, on, W } from '../util';
import type { Emit } from './types';

const IDLE_MS = 30e3;

/**
 * Engagement time per page view: counted while the page is visible and the visitor was active
 * in the last 30 s; sent when the page is hidden (pagehide/visibilitychange) and on SPA route change.
 */
export function createEngagement(emit: Emit, scrollDepth: () => number) {
  let total = 0;
  let since = D.visibilityState === 'visible' ? now() : 0;
  let lastInput = now();

  const tick = () => {
    const t = now();
    if (since) total += Math.min(t - since, Math.max(0, lastInput + IDLE_MS - since));
    since = D.visibilityState === 'visible' ? t : 0;
  };
  for (const t of ['pointerdown', 'keydown', 'scroll', 'pointermove', 'touchstart']) {
    on(D, t, () => {
      tick();
      lastInput = now();
    }, { capture: true, passive: true });
  }
  on(D, 'visibilitychange', tick);

  return {
    /** Sends the time engaged on the current page view and starts a new count. */
    send(): void {
      tick();
      if (total >= 1000) emit(EVENT.engagement, { ms: Math.round(total), scroll: scrollDepth() });
      total = 0;
      since = D.visibilityState === 'visible' ? now() : 0;
    },
  };
}

export const hidden = (fn: () => void): void => {
  on(D, 'visibilitychange', () => D.visibilityState === 'hidden' && fn());
  on(W, 'pagehide', fn);
};

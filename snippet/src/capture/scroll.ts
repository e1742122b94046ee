import { EVENT } from '../../../shared/wire';
import { D, on, W } from '../util';
import type { Emit } from './types';

/** Deepest scroll of the current page view, in percent (for engagement). */
export let scrollDepth = 0;
let sent = 0;
let raf = 0;

/** Scroll depth milestones (25/50/75/100 %), each once per page view. */
export function captureScroll(emit: Emit): void {
  const measure = () => {
    raf = 0;
    // A page that does not scroll has no depth to report.
    const height = D.documentElement.scrollHeight;
    if (height > innerHeight) scrollDepth = Math.max(scrollDepth, Math.min(100, Math.round(((scrollY + innerHeight) / height) * 100)));
    while (sent < 100 && scrollDepth >= sent + 25) emit(EVENT.scroll, { depth: (sent += 25) });
  };
  on(W, 'scroll', () => (raf ||= requestAnimationFrame(measure)), { passive: true });
}

export const resetScroll = (): void => void (scrollDepth = sent = 0);

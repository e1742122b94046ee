import { EVENT } from '../../../shared/wire';
import { clip, D } from '../util';
import type { Emit } from './types';

/** Impressions of elements marked `data-tp-view="name"`: half visible, once per page view. */
export function createImpressions(emit: Emit) {
  if (!('IntersectionObserver' in window)) return { reset() {} };
  let seen = new Set<Element>();
  const io = new IntersectionObserver(
    (entries) => {
      for (const en of entries) {
        if (en.isIntersecting && !seen.has(en.target)) {
          seen.add(en.target);
          emit(EVENT.impression, { view: clip((en.target as HTMLElement).dataset.tpView, 64) });
        }
      }
    },
    { threshold: 0.5 },
  );
  const observe = () => D.querySelectorAll('[data-tp-view]').forEach((el) => io.observe(el));
  observe();
  return {
    /** new page view: count again, and pick up elements the route rendered */
    reset(): void {
      seen = new Set();
      io.disconnect();
      setTimeout(observe, 0);
    },
  };
}

import { EVENT } from '../../../shared/wire';
import { clip, D } from '../util';
import type { Emit } from './types';

let seen = new Set<Element>();
let io: IntersectionObserver | undefined;
const observe = () => D.querySelectorAll('[data-tp-view]').forEach((el) => io!.observe(el));

/** Impressions of elements marked `data-tp-view="name"`: half visible, once per page view. */
export function captureImpressions(emit: Emit): void {
  io = new IntersectionObserver(
    (entries) => {
      for (const en of entries)
        if (en.isIntersecting && !seen.has(en.target)) {
          seen.add(en.target);
          emit(EVENT.impression, { view: clip((en.target as HTMLElement).dataset.tpView, 64) });
        }
    },
    { threshold: 0.5 },
  );
  observe();
}

/** New page view: count again, and pick up the elements the route rendered. */
export function resetImpressions(): void {
  seen = new Set();
  io?.disconnect();
  setTimeout(observe);
}

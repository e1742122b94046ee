import { EVENT } from '../../../shared/wire';
import { D, on, W } from '../util';
import type { Emit } from './types';

const MILESTONES = [25, 50, 75, 100];

/** Scroll depth milestones (25/50/75/100 %) once each per page view; the max depth for engagement. */
export function createScroll(emit: Emit) {
  let max = 0;
  let sent = 0;
  let raf = 0;
  const measure = () => {
    raf = 0;
    const el = D.documentElement;
    const height = Math.max(el.scrollHeight, D.body?.scrollHeight ?? 0);
    if (height <= W.innerHeight) return;
    const pct = Math.min(100, Math.round(((W.scrollY + W.innerHeight) / height) * 100));
    max = Math.max(max, pct);
    while (sent < MILESTONES.length && max >= MILESTONES[sent]!) emit(EVENT.scroll, { depth: MILESTONES[sent++]! });
  };
  on(W, 'scroll', () => (raf ||= requestAnimationFrame(measure)), { passive: true });
  return {
    depth: () => max,
    reset(): void {
      max = sent = 0;
    },
  };
}

import { EVENT, type Props } from '../../../shared/wire';
import { clip, D, now, on } from '../util';
import type { Emit } from './types';

const DOWNLOAD = /\.(pdf|zip|rar|7z|gz|tgz|dmg|exe|msi|pkg|deb|apk|docx?|xlsx?|pptx?|odt|ods|csv|txt|rtf|epub|mp3|mp4|mov|avi|wav|iso)$/i;

/**
 * Clicks on links and buttons (tag, short text, id or data-tp-label, href); links to another host
 * are `outbound`, to files `download`; three clicks within 700 ms on one spot are a `rage_click`.
 */
export function captureClicks(emit: Emit): void {
  let burst: { x: number; y: number; t: number; n: number } | null = null;
  on(D, 'click', (e: MouseEvent) => {
    const t = now();
    if (burst && t - burst.t < 700 && Math.abs(e.clientX - burst.x) < 30 && Math.abs(e.clientY - burst.y) < 30) {
      burst.t = t;
      if (++burst.n === 3) emit(EVENT.rageClick, { tag: (e.target as Element)?.tagName?.toLowerCase() ?? '' });
    } else burst = { x: e.clientX, y: e.clientY, t, n: 1 };

    const el = (e.target as Element)?.closest?.('a[href],button,[role=button],input[type=submit],input[type=button],[data-tp-label]') as HTMLElement | null;
    if (!el) return;
    const p: Props = { tag: el.tagName.toLowerCase() };
    const text = clip(el.innerText || (el as HTMLInputElement).value, 60);
    if (text && !(el instanceof HTMLInputElement)) p.text = text;
    if (el.id) p.id = el.id;
    if (el.dataset.tpLabel) p.label = clip(el.dataset.tpLabel, 64);
    let name: string = EVENT.click;
    if (el instanceof HTMLAnchorElement) {
      const u = new URL(el.href, location.href);
      p.href = clip(u.href, 500);
      if (el.hasAttribute('download') || DOWNLOAD.test(u.pathname)) name = EVENT.download;
      else if (u.host !== location.host && /^https?:$/.test(u.protocol)) name = EVENT.outbound;
    }
    emit(name, p);
  });
}

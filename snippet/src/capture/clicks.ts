import { EVENT, type Props } from '../../../shared/wire';
import { cleanUrl, clip, D, now, on } from '../util';
import type { Emit } from './types';

const DOWNLOAD = /\.(pdf|zip|rar|7z|t?gz|dmg|exe|msi|pkg|deb|apk|docx?|xlsx?|pptx?|od[st]|csv|txt|epub|mp[34]|mov|wav|iso)$/i;

/**
 * Clicks on links and buttons (tag, short text, id or data-tp-label, href cleaned as page URLs are); links to another host
 * are `outbound`, to files `download`; three clicks within 700 ms on one spot are a `rage_click`.
 * Only visible text is read, never an input's value.
 */
export function captureClicks(emit: Emit): void {
  let x = 0;
  let y = 0;
  let t = 0;
  let n = 0;
  on(D, 'click', (e: MouseEvent) => {
    const el = (e.target as Element).closest?.('a,button,[role=button],[type=submit],[type=button],[data-tp-label]') as HTMLElement | null;
    const tag = el?.tagName.toLowerCase();
    n = now() - t < 700 && Math.abs(e.clientX - x) < 30 && Math.abs(e.clientY - y) < 30 ? n + 1 : 1;
    (x = e.clientX), (y = e.clientY), (t = now());
    if (n == 3) emit(EVENT.rageClick, { tag } as Props);
    if (!el) return;
    // Empty ones stay undefined, which JSON leaves out.
    const p = { tag, text: clip(el.innerText, 60) || undefined, id: el.id || undefined, label: el.dataset.tpLabel && clip(el.dataset.tpLabel, 64) } as Props;
    let name: string = EVENT.click;
    if (el instanceof HTMLAnchorElement && el.href) {
      const u = new URL(el.href);
      p.href = clip(cleanUrl(el.href), 500);
      if (el.hasAttribute('download') || DOWNLOAD.test(u.pathname)) name = EVENT.download;
      else if (u.host != location.host && /^https?:$/.test(u.protocol)) name = EVENT.outbound;
    }
    // Inside an element counted for impressions: the click is that element's (impressions → clicks).
    p.view = (el.closest('[data-tp-view]') as HTMLElement | null)?.dataset.tpView as string;
    emit(name, p);
    // Share links and buttons (data-tp-share="linkedin"): a share, next to the click (its href is in the click).
    if (el.dataset.tpShare != null) emit(EVENT.share, { network: el.dataset.tpShare.slice(0, 32) });
  });
}

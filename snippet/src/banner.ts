import type { SiteConfigAnswer } from '../../shared/wire';
import css from './banner.css';
import { adopt, button, h } from './dom';
import { load } from './lazy';
import type { Panel, PanelHost } from './panel/types';
import { D } from './util';

/*
 * The banner: a labelled, non-blocking region in an open shadow root (styles isolated both ways,
 * reachable by accessibility queries), first in the body: keyboard users reach the decision before
 * the page's links, and Tab goes on into the page (nothing is trapped; the banner is fixed, so the
 * page's layout does not move). The preferences dialog is a separate script, tp-panel.js,
 * loaded the first time it is opened: most visitors never open it, so it is not part of the
 * first page view.
 */
let banner: HTMLElement;
let panel: Promise<Panel> | undefined;
let host: PanelHost;

export function mountBanner({ t: [title, body, accept, reject, prefs], l: lang }: SiteConfigAnswer, decide: (all: boolean) => void, ph: Omit<PanelHost, 'root'>): void {
  const el = h('div', { id: 'tp-consent', lang });
  const root = el.attachShadow({ mode: 'open' });
  adopt(root, css);
  host = { ...ph, root };
  banner = h(
    'div',
    { class: 'b', role: 'region', 'aria-label': title, hidden: true },
    h('h2', {}, title),
    h('p', {}, body),
    h('div', { class: 'r' }, button(accept, '', () => decide(true)), button(reject, '', () => decide(false)), button(prefs, 's', openPanel)),
  );
  root.append(banner);
  (D.body ?? D.documentElement).prepend(el);
}

export const showBanner = (): void => void (banner.hidden = false);

/** After a decision: banner and panel closed. */
export function hideBanner(): void {
  banner.hidden = true;
  void panel?.then((p) => p.close());
}

/** Opens the preferences dialog, loading it on first use (see `lazy.ts`). */
export function openPanel(): void {
  const opener = D.activeElement;
  panel ??= load(host.api).then((m) => m.mount(host));
  // Offline or failed: the next click tries again.
  panel.then((p) => p.open(opener), () => (panel = undefined));
}

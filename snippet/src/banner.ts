import type { SiteConfigAnswer } from '../../shared/wire';
import css from './banner.css';
import { adopt, button, h } from './dom';
import type { MountPanel, Panel, PanelHost } from './panel/types';
import { D, W } from './util';

/*
 * The banner: a labelled, non-blocking region in an open shadow root (styles isolated both ways,
 * reachable by accessibility queries). The preferences dialog is a separate script, tp-panel.js,
 * loaded the first time it is opened: most visitors never open it, so it is not part of the
 * first page view.
 */
let banner: HTMLElement;
let panel: Promise<Panel> | undefined;
let host: PanelHost;
let src = '';

export function mountBanner({ tx, lang }: SiteConfigAnswer, api: string, decide: (all: boolean) => void, ph: Omit<PanelHost, 'root'>): void {
  const el = h('div', { id: 'tp-consent', lang });
  const root = el.attachShadow({ mode: 'open' });
  adopt(root, css);
  host = { ...ph, root };
  src = `${api}/tp-panel.js`;
  banner = h(
    'div',
    { class: 'b', role: 'region', 'aria-label': tx.title, hidden: true },
    h('h2', {}, tx.title),
    h('p', {}, tx.body),
    h('div', { class: 'r' }, button(tx.accept, '', () => decide(true)), button(tx.reject, '', () => decide(false)), button(tx.prefs, 's', openPanel)),
  );
  root.append(banner);
  (D.body ?? D.documentElement).append(el);
}

export const showBanner = (): void => void (banner.hidden = false);

/** After a decision: banner and panel closed. */
export function hideBanner(): void {
  banner.hidden = true;
  void panel?.then((p) => p.close());
}

/** Opens the preferences dialog, loading it on first use (the script keeps tp.js's nonce). */
export function openPanel(): void {
  const opener = D.activeElement;
  panel ??= new Promise<Panel>((resolve, reject) => {
    W.tp._p = (mount: MountPanel) => resolve(mount(host));
    const s = h('script', { src, async: true }) as HTMLScriptElement;
    s.nonce = (D.querySelector('script[data-site]') as HTMLScriptElement | null)?.nonce ?? '';
    s.onerror = reject;
    D.head.append(s);
  });
  // Offline or failed: the next click tries again.
  panel.then((p) => p.open(opener), () => (panel = undefined));
}

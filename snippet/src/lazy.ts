import { h } from './dom';
import type { Identify } from './panel/identify';
import type { MountPanel } from './panel/types';
import { D, W } from './util';

/**
 * What most page views never need lives in tp-panel.js, loaded on first use: the preferences dialog and
 * `tp.identify` (a login happens on few page views). Keeping them out of tp.js keeps the first page view small.
 * The script is the one built with this tp.js (`?<hash>`) and keeps tp.js's nonce.
 */
export interface Lazy {
  mount: MountPanel;
  identify: Identify;
}

let lazy: Promise<Lazy> | undefined;

export const load = (api: string): Promise<Lazy> =>
  (lazy ??= new Promise<Lazy>((resolve, reject) => {
    W.tp._p = resolve;
    const s = h('script', { src: api + '/tp-panel.js?' + PANEL, async: true }) as HTMLScriptElement;
    s.nonce = (D.querySelector('script[data-site]') as HTMLScriptElement | null)?.nonce ?? '';
    // Offline or failed: the next use tries again.
    s.onerror = () => reject((lazy = undefined));
    D.head.append(s);
  }));

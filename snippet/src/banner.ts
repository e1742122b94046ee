import type { SiteConfigAnswer } from '../../shared/wire';
import css from './banner.css';
import type { Consent } from './consent';
import { focusables, h } from './dom';
import { D, on } from './util';

/**
 * The banner (a labelled, non-blocking region) and the preferences dialog, in an open shadow root:
 * styles isolated both ways, reachable by accessibility queries. Styles are a constructed
 * stylesheet, so a strict CSP without 'unsafe-inline' still applies them.
 */
export function createBanner(cfg: SiteConfigAnswer, consent: Consent, decide: (g: Record<string, boolean>, m: 'banner' | 'preferences') => void) {
  const tx = cfg.tx;
  const host = h('div', { id: 'tp-consent' });
  const root = host.attachShadow({ mode: 'open' });
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } catch {
    root.append(h('style', {}, css));
  }
  const all = (v: boolean) => Object.fromEntries(consent.cats.map((c) => [c, v]));

  const btn = (label: string, cls: string, fn: () => void) => {
    const b = h('button', { type: 'button', class: cls }, label);
    on(b, 'click', fn);
    return b;
  };
  const banner = h(
    'div',
    { class: 'b', role: 'region', 'aria-label': tx.title, hidden: true },
    h('h2', {}, tx.title),
    h('p', {}, tx.body),
    h('div', { class: 'r' }, btn(tx.accept, '', () => decide(all(true), 'banner')), btn(tx.reject, '', () => decide(all(false), 'banner')), btn(tx.prefs, 's', () => open())),
  );

  const switches: Record<string, HTMLInputElement> = {};
  const list = cfg.cats.map((c) => {
    const input = h('input', { type: 'checkbox', role: 'switch', 'aria-describedby': `tp-d-${c.id}`, checked: !!c.req, disabled: !!c.req }) as HTMLInputElement;
    if (!c.req) switches[c.id] = input;
    return h(
      'div',
      { class: 'c' },
      h('label', {}, h('span', {}, c.name), input),
      h('small', { id: `tp-d-${c.id}` }, c.desc, c.svc && ` (${c.svc.join(', ')})`),
    );
  });
  const dialog = h(
    'div',
    { class: 'd', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'tp-pt' },
    btn('×', 'x', () => close()),
    h('h2', { id: 'tp-pt' }, tx.prefsTitle),
    consent.gpc && h('p', { role: 'note' }, tx.gpc),
    ...list,
    h('div', { class: 'r' }, btn(tx.save, '', () => decide(Object.fromEntries(Object.entries(switches).map(([k, i]) => [k, i.checked])), 'preferences'))),
  );
  const overlay = h('div', { class: 'o', hidden: true }, dialog);
  root.append(banner, overlay);
  (dialog.querySelector('.x') as HTMLElement).setAttribute('aria-label', tx.close);
  let opener: Element | null = null;

  on(overlay, 'keydown', (e: KeyboardEvent) => {
    if (e.key === 'Escape') return close();
    if (e.key !== 'Tab') return;
    const f = focusables(dialog);
    const first = f[0]!;
    const last = f[f.length - 1]!;
    const active = root.activeElement;
    if (e.shiftKey && active === first) (e.preventDefault(), last.focus());
    else if (!e.shiftKey && active === last) (e.preventDefault(), first.focus());
  });
  on(overlay, 'click', (e: Event) => e.target === overlay && close());

  function open(): void {
    for (const [id, input] of Object.entries(switches)) input.checked = consent.granted(id);
    opener = D.activeElement;
    overlay.hidden = false;
    (switches[consent.cats[0]!] ?? focusables(dialog)[0])?.focus();
  }
  function close(): void {
    if (overlay.hidden) return;
    overlay.hidden = true;
    (opener instanceof HTMLElement && opener !== host ? opener : D.body)?.focus?.();
  }

  (D.body ?? D.documentElement).append(host);
  return {
    show: () => (banner.hidden = false),
    /** After a decision: both closed. */
    hide(): void {
      banner.hidden = true;
      close();
    },
    open,
  };
}

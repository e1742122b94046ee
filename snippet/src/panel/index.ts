import { PATH, type PanelConfigAnswer } from '../../../shared/wire';
import { adopt, button, h } from '../dom';
import { D, on, W } from '../util';
import css from './panel.css';
import type { MountPanel, Panel } from './types';
import { identify } from './identify';
import { yourData } from './your-data';

/**
 * The preferences dialog (tp-panel.js, loaded on first open): one switch per category with its
 * description and services, Save, the GPC note, and "Your data". A modal dialog: focus moves in,
 * Tab is trapped, Escape or a click outside closes, focus returns to what opened it.
 */
const mount: MountPanel = async (host): Promise<Panel> => {
  const { root } = host;
  const r = await fetch(host.config ?? host.api + PATH.config + host.qs + '&p=1', { credentials: 'omit' });
  if (!r.ok) throw r.status;
  const cfg = (await r.json()) as PanelConfigAnswer;
  const tx = cfg.tx;
  adopt(root, css);
  const switches: Record<string, HTMLInputElement> = {};
  const rows = cfg.cats.map((c) => {
    const input = h('input', { type: 'checkbox', role: 'switch', 'aria-describedby': `tp-d-${c.id}`, checked: !!c.req, disabled: !!c.req }) as HTMLInputElement;
    if (!c.req) switches[c.id] = input;
    return h('div', { class: 'c' }, h('label', {}, h('span', {}, c.name), input), h('small', { id: `tp-d-${c.id}` }, c.desc, c.svc && ` (${c.svc.join(', ')})`));
  });
  const x = button('×', 'x', () => close());
  x.setAttribute('aria-label', tx.close);
  const dialog = h(
    'div',
    { class: 'd', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'tp-pt' },
    x,
    h('h2', { id: 'tp-pt' }, tx.prefsTitle),
    host.gpc && h('p', { role: 'note' }, tx.gpc),
    ...rows,
    h('div', { class: 'r' }, button(tx.save, '', () => host.save(Object.fromEntries(host.cats.map((c) => [c, switches[c]!.checked]))))),
    yourData(host, tx),
  );
  const overlay = h('div', { class: 'o', hidden: true }, dialog);
  root.append(overlay);
  let opener: Element | null = null;
  // What Tab can reach: enabled and not in a hidden part (the erase question while it is not asked).
  const focusables = () => [...dialog.querySelectorAll<HTMLElement>('button:not([disabled],[hidden] *),input:not([disabled])')];

  // Bubbling phase: the erase question's own Escape (cancel) runs first and stops it.
  on(
    overlay,
    'keydown',
    (e: KeyboardEvent) => {
      if (e.key == 'Escape') return close();
      if (e.key != 'Tab') return;
      const f = focusables();
      const edge = e.shiftKey ? f[0] : f[f.length - 1];
      if (root.activeElement == edge) {
        e.preventDefault();
        (e.shiftKey ? f[f.length - 1] : f[0])!.focus();
      }
    },
    false,
  );
  on(overlay, 'click', (e: Event) => e.target == overlay && close());

  function close(): void {
    if (overlay.hidden) return;
    overlay.hidden = true;
    const back = opener instanceof HTMLElement && opener.isConnected && opener != root.host ? opener : D.body;
    back?.focus();
  }
  return {
    open(o) {
      for (const c of host.cats) switches[c]!.checked = host.granted(c);
      // Opened from the banner: the button inside our shadow root, not its host.
      opener = o == root.host ? root.activeElement : o;
      overlay.hidden = false;
      (switches[host.cats[0]!] ?? focusables()[0])?.focus();
    },
    close,
  };
};

// The module tp.js asked for; still callable as `mount` itself, which is what a tp.js built before identify moved here expects.
W.tp?._p?.(Object.assign(mount, { mount, identify }));

import { PATH, type BannerTexts } from '../../../shared/wire';
import { button, h } from '../dom';
import { on } from '../util';
import type { PanelHost } from './types';

/**
 * "Your data": Download (GET /v1/me, saved as a JSON file) and Erase (DELETE /v1/me) for this
 * browser, authorized by the secret only this browser holds. Erase asks first, in place: a labelled
 * group with "Yes, erase" and "Cancel" (focus on Cancel; Escape cancels). The outcome is announced,
 * and after an erase it says what happens next.
 */
export function yourData(host: PanelHost, tx: BannerTexts): HTMLElement {
  const status = h('p', { role: 'status' });
  const say = (t: string) => void (status.textContent = t);
  const run = (erase: boolean) => async () => {
    // The question's buttons disappear: focus stays in the dialog, on "Erase my data".
    if (erase) eraseButton.focus();
    ask.hidden = true;
    say('…');
    try {
      const anon = host.anon();
      if (!anon) return say(tx.noData);
      await host.settle();
      const r = await fetch(host.me ?? host.api + PATH.me + host.qs, { method: erase ? 'DELETE' : 'GET', headers: { authorization: `Bearer ${anon.a}.${anon.k}` }, credentials: 'omit' });
      if (!r.ok) throw r.status;
      const data = await r.json();
      if (erase) {
        await host.erased();
        say(tx.erased);
      } else {
        const a = h('a', { download: 'my-data.json', href: URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' })) });
        a.click();
        say(tx.downloaded);
      }
    } catch {
      say(tx.failed);
    }
  };
  const cancel = button(tx.cancel, 's', () => {
    ask.hidden = true;
    eraseButton.focus();
  });
  const ask = h('div', { role: 'group', 'aria-labelledby': 'tp-ea', hidden: true }, h('p', { id: 'tp-ea' }, tx.eraseAsk), h('div', { class: 'r' }, button(tx.eraseYes, '', run(true)), cancel));
  // Escape here cancels the question only: this listener and the dialog's (close) both bubble, and this one is deeper.
  on(ask, 'keydown', (e: KeyboardEvent) => e.key == 'Escape' && (e.stopPropagation(), cancel.click()), false);
  // Nothing to erase: said at once, no question asked.
  const eraseButton = button(tx.erase, 's', () => {
    if (!host.anon()) return say(tx.noData);
    say('');
    ask.hidden = false;
    cancel.focus();
  });
  return h('div', { class: 'c' }, h('h3', {}, tx.yourData), h('div', { class: 'r' }, button(tx.download, 's', run(false)), eraseButton), ask, status);
}

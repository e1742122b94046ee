import { button, h } from '../dom';
import type { BannerTexts } from '../../../shared/wire';
import type { PanelHost } from './types';

/**
 * "Your data": Download (GET /v1/me, saved as a JSON file) and Erase (DELETE /v1/me) for this
 * browser, authorized by the secret only this browser holds. The outcome is announced.
 */
export function yourData(host: PanelHost, tx: BannerTexts): HTMLElement {
  const status = h('p', { role: 'status' });
  const run = (erase: boolean) => async () => {
    status.textContent = '…';
    try {
      const anon = host.anon();
      if (!anon) return void (status.textContent = tx.noData);
      await host.settle();
      const r = await fetch(host.me, { method: erase ? 'DELETE' : 'GET', headers: { authorization: `Bearer ${anon.a}.${anon.k}` }, credentials: 'omit' });
      if (!r.ok) throw r.status;
      const data = await r.json();
      if (erase) {
        await host.erased();
        status.textContent = tx.erased;
      } else {
        const a = h('a', { download: 'my-data.json', href: URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' })) });
        a.click();
        status.textContent = tx.downloaded;
      }
    } catch {
      status.textContent = tx.failed;
    }
  };
  return h('div', { class: 'c' }, h('h3', {}, tx.yourData), h('div', { class: 'r' }, button(tx.download, 's', run(false)), button(tx.erase, 's', run(true))), status);
}

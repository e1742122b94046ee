import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptAll, dialog, newPage, servePage, startHarness, type Harness } from '../support/browser';

let h: Harness;
beforeAll(async () => {
  h = await startHarness(8803);
});
afterAll(async () => {
  await h?.stop();
});

/** Accessible text of what has keyboard focus, looking inside the banner's shadow root. */
const focused = (page: Page) =>
  page.evaluate(() => {
    let a = document.activeElement;
    while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
    return a?.getAttribute('aria-label') || (a as HTMLElement | null)?.innerText || a?.closest('label')?.textContent || a?.tagName || '';
  });

async function tabTo(page: Page, name: string, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    if ((await focused(page)) === name) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`never reached "${name}" with Tab (last: "${await focused(page)}")`);
}

describe('banner and dialog by keyboard alone', () => {
  it('reaches the banner, opens Preferences, traps focus, Escape returns focus, Save records the choice', async () => {
    const { page, context } = await newPage(h);
    await page.goto(`${h.url}/demo/`);
    await page.getByRole('button', { name: 'Accept all' }).waitFor();
    await tabTo(page, 'Preferences');
    await page.keyboard.press('Enter');
    await dialog(page).waitFor();
    // Focus moved into the dialog, onto the first switch.
    await expect.poll(() => focused(page)).toBe('Analytics');
    await page.keyboard.press('Shift+Tab');
    expect(await focused(page)).toBe('Close');
    await page.keyboard.press('Shift+Tab');
    expect(await focused(page)).toBe('Erase my data');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('Close');
    await page.keyboard.press('Escape');
    await expect(dialog(page).isVisible()).resolves.toBe(false);
    expect(await focused(page)).toBe('Preferences');

    await page.keyboard.press('Enter');
    await expect.poll(() => focused(page)).toBe('Analytics');
    await page.keyboard.press('Space');
    for (const next of ['Marketing', 'Personalization', 'Save']) {
      await page.keyboard.press('Tab');
      expect(await focused(page)).toBe(next);
    }
    const receipt = page.waitForResponse((r) => r.url().endsWith('/v1/consent'));
    await page.keyboard.press('Enter');
    await receipt;
    expect(await page.evaluate(() => (window as any).tp.consent.get())).toEqual({ necessary: true, analytics: true, marketing: false, personalization: false });
    await expect(page.getByRole('region', { name: 'Your privacy' }).isVisible()).resolves.toBe(false);
    await context.close();
  });

  it('on a page full of links the first Tab presses reach the banner\'s buttons, then Tab goes on into the page', async () => {
    const { page, context } = await newPage(h);
    await page.goto(`${h.url}/demo/many-links.html`);
    await page.getByRole('button', { name: 'Accept all' }).waitFor();
    const order: string[] = [];
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('Tab');
      order.push(await focused(page));
    }
    expect(order).toEqual(['Accept all', 'Reject all', 'Preferences', 'Link 1', 'Link 2']);
    // Not trapped the other way either: Shift+Tab from the page's first link is back on the banner.
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    expect(await focused(page)).toBe('Preferences');

    // Deciding by keyboard: the banner goes, and the next Tab lands on the page's first link.
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    expect(await focused(page)).toBe('Accept all');
    const receipt = page.waitForResponse((r) => r.url().endsWith('/v1/consent'));
    await page.keyboard.press('Enter');
    await receipt;
    await expect(page.getByRole('region', { name: 'Your privacy' }).isVisible()).resolves.toBe(false);
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('Link 1');
    await context.close();
  });

  // many-links.html: the banner's host is the body's first child, and that body is a grid with gaps.
  it.each(['/demo/', '/demo/many-links.html'])('the banner is a fixed overlay: nothing on the page moves when it appears (%s)', async (path) => {
    const { page, context } = await newPage(h);
    // Hold the config answer so the page settles first, then let the banner in.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await context.route('**/v1/config?*', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(h.url + path);
    const layout = () =>
      page.evaluate(() => ({
        height: document.documentElement.scrollHeight,
        boxes: [...document.body.querySelectorAll('*')].filter((e) => e.id !== 'tp-consent').map((e) => JSON.stringify(e.getBoundingClientRect())),
      }));
    const before = await layout();
    release();
    await page.getByRole('button', { name: 'Accept all' }).waitFor();
    expect(await layout()).toEqual(before);
    await context.close();
  });
});

describe('Google Consent Mode v2 and blocked tags', () => {
  const page = (api: string) => `<!doctype html><html lang="en"><head>
<script>window.dataLayer = []; function gtag(){ dataLayer.push(arguments); } window.seen = [];</script>
<script async src="${api}/tp.js" data-site="demo"></script>
</head><body><h1>Shop</h1>
<script type="text/plain" data-consent="marketing">window.seen.push(dataLayer.map((a) => a[0] + ' ' + a[1]));</script>
<script type="text/plain" data-consent="marketing" data-type="module">window.moduleRan = import.meta.url.length > 0;</script>
</body></html>`;

  it('default (all denied, wait_for_update) before anything; update only after the decision; blocked tags after the update', async () => {
    const { page: p, context } = await newPage(h);
    await servePage(context, `${h.url}/fixture/gcm.html`, page(h.url));
    await p.goto(`${h.url}/fixture/gcm.html`);
    await p.getByRole('button', { name: 'Accept all' }).waitFor();
    const before = await p.evaluate(() => (window as any).dataLayer.map((a: IArguments) => Array.from(a)));
    expect(before).toEqual([
      [
        'consent',
        'default',
        {
          ad_storage: 'denied',
          ad_user_data: 'denied',
          ad_personalization: 'denied',
          analytics_storage: 'denied',
          personalization_storage: 'denied',
          functionality_storage: 'granted',
          security_storage: 'granted',
          wait_for_update: 500,
        },
      ],
    ]);
    expect(await p.evaluate(() => (window as any).seen)).toEqual([]);

    await acceptAll(p);
    const after = await p.evaluate(() => (window as any).dataLayer.map((a: IArguments) => Array.from(a)));
    expect(after).toHaveLength(2);
    expect(after[1]).toEqual([
      'consent',
      'update',
      {
        ad_storage: 'granted',
        ad_user_data: 'granted',
        ad_personalization: 'granted',
        analytics_storage: 'granted',
        personalization_storage: 'granted',
        functionality_storage: 'granted',
        security_storage: 'granted',
      },
    ]);
    // The marketing tag ran once, after the update was pushed; the module one as a module.
    expect(await p.evaluate(() => (window as any).seen)).toEqual([['consent default', 'consent update']]);
    await expect.poll(() => p.evaluate(() => (window as any).moduleRan)).toBe(true);
    await p.reload();
    await p.waitForFunction(() => (window as any).seen.length === 1);
    // Returning visitor: default then update from the stored decision, before the tag.
    expect(await p.evaluate(() => (window as any).seen)).toEqual([['consent default', 'consent update']]);
    await context.close();
  });
});

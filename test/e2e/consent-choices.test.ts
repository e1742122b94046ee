import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptAll, anonOf, deviceStorage, dialog, flush, newPage, sentEvents, sleep, startHarness, storedEvents, waitStored, type Harness } from '../support/browser';

let h: Harness;
beforeAll(async () => {
  h = await startHarness(8802);
});
afterAll(async () => {
  await h?.stop();
});


describe('consent choices in real Chromium', () => {
  it('Reject all: only the decision is kept; nothing is sent after navigation and clicks', async () => {
    const { page, context, sent } = await newPage(h);
    await page.goto(`${h.url}/demo/`);
    const receipt = page.waitForResponse((r) => r.url().endsWith('/v1/consent'));
    await page.getByRole('button', { name: 'Reject all' }).click();
    expect((await receipt).status()).toBe(200);
    await expect(page.getByRole('region', { name: 'Your privacy' }).isVisible()).resolves.toBe(false);
    await page.click('#cta');
    await page.click('#to-pricing');
    await page.waitForURL('**/pricing*');
    await page.evaluate(() => (window as any).tp.track('after_reject'));
    await flush(page);
    await sleep(2500);
    expect(sentEvents(sent)).toEqual([]);
    expect(await deviceStorage(page)).toEqual({ local: ['tp_consent'], idb: [] });
    // The banner does not come back on the next page: the refusal is remembered.
    await expect(page.getByRole('button', { name: 'Accept all' }).isVisible()).resolves.toBe(false);
    const [r] = sent.filter((x) => x.path === '/v1/consent').map((x) => x.json);
    expect(r).toMatchObject({ s: 'demo', m: 'banner', g: { analytics: false, marketing: false, personalization: false } });
    expect(r.a).toBeUndefined();
    await context.close();
  });

  it('analytics only (Preferences): analytics events are stored, a marketing event is not, the marketing tag stays blocked', async () => {
    const { page, context, sent } = await newPage(h);
    await page.goto(`${h.url}/demo/`);
    await page.getByRole('button', { name: 'Preferences' }).click();
    const d = dialog(page);
    await d.waitFor();
    // Switches are named after their categories; necessary is on and cannot be changed.
    await expect(d.getByRole('switch', { name: 'Necessary' }).isDisabled()).resolves.toBe(true);
    await expect(d.getByRole('switch', { name: 'Analytics' }).isChecked()).resolves.toBe(false);
    await d.getByRole('switch', { name: 'Analytics' }).check();
    const receipt = page.waitForResponse((r) => r.url().endsWith('/v1/consent'));
    await d.getByRole('button', { name: 'Save' }).click();
    await receipt;
    await expect(d.isVisible()).resolves.toBe(false);
    expect(await page.evaluate(() => (window as any).tp.consent.get())).toEqual({ necessary: true, analytics: true, marketing: false, personalization: false });
    expect(await page.evaluate(() => (window as any).demoInlineAnalytics)).toBe(true);
    expect(await page.evaluate(() => (window as any).demoPixelLoaded ?? 0)).toBe(0);

    await page.evaluate(() => {
      const tp = (window as any).tp;
      tp.track('promo_seen', { slot: 'hero' }, { category: 'marketing' });
      tp.track('faq_opened', { q: 3 });
    });
    await flush(page);
    const anon = await anonOf(page);
    const rows = await waitStored(h, (r) => r.some((x) => x.name === 'faq_opened' && x.anon_id === anon));
    const mine = rows.filter((x) => x.anon_id === anon);
    expect(mine.map((x) => x.name)).toEqual(expect.arrayContaining(['pageview', 'faq_opened']));
    expect(mine.some((x) => x.name === 'promo_seen')).toBe(false);
    // The browser never even sent it.
    expect(sentEvents(sent).some((e) => e.n === 'promo_seen')).toBe(false);
    await context.close();
  });

  it('a forged batch claiming marketing consent is dropped at the edge', async () => {
    const { page, context } = await newPage(h);
    await page.goto(`${h.url}/demo/`);
    await page.getByRole('button', { name: 'Reject all' }).click();
    const token = await page.waitForFunction(() => JSON.parse(localStorage.getItem('tp_consent')!).t).then((x) => x.jsonValue());
    const id = crypto.randomUUID();
    // What a tampered snippet would send: the refused decision's token, events claiming marketing.
    const res = await page.evaluate(
      async ([url, t, i]) => {
        const body = { s: 'demo', t, a: crypto.randomUUID(), e: [{ i, n: 'forged', c: 'marketing', ts: Date.now(), u: location.href, x: 1 }] };
        const r = await fetch(`${url}/v1/e`, { method: 'POST', body: JSON.stringify(body) });
        return r.json();
      },
      [h.url, token, id] as const,
    );
    expect(res).toMatchObject({ accepted: 0, dropped: 1 });
    await sleep(1500);
    expect((await storedEvents(h)).some((x) => x.id === id)).toBe(false);
    await context.close();
  });

  it('GPC: marketing and personalization start off, the panel says so, an explicit choice overrides', async () => {
    const { page, context, sent } = await newPage(h, { extraHTTPHeaders: { 'Sec-GPC': '1' } });
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
    await page.goto(`${h.url}/demo/`);
    await page.getByRole('button', { name: 'Preferences' }).click();
    const d = dialog(page);
    await d.waitFor();
    await expect(d.getByRole('note').textContent()).resolves.toContain('Global Privacy Control');
    await d.getByRole('switch', { name: 'Analytics' }).check();
    await expect(d.getByRole('switch', { name: 'Marketing' }).isChecked()).resolves.toBe(false);
    let receipt = page.waitForResponse((r) => r.url().endsWith('/v1/consent'));
    await d.getByRole('button', { name: 'Save' }).click();
    await receipt;
    expect(sent.filter((x) => x.path === '/v1/consent').at(-1)!.json).toMatchObject({ gpc: true, g: { analytics: true, marketing: false } });

    // The visitor then switches marketing on, explicitly, with the signal present.
    await page.evaluate(() => (window as any).tp.consent.open());
    await d.getByRole('switch', { name: 'Marketing' }).check();
    receipt = page.waitForResponse((r) => r.url().endsWith('/v1/consent'));
    await d.getByRole('button', { name: 'Save' }).click();
    await receipt;
    await page.evaluate(() => (window as any).tp.track('promo_clicked', {}, { category: 'marketing' }));
    await flush(page);
    const anon = await anonOf(page);
    const rows = await waitStored(h, (r) => r.some((x) => x.name === 'promo_clicked' && x.anon_id === anon));
    expect(rows.find((x) => x.name === 'promo_clicked' && x.anon_id === anon)).toMatchObject({ category: 'marketing' });
    await context.close();
  });

  it('withdrawal deletes the anonymous id and stops sending', async () => {
    const { page, context, sent } = await newPage(h);
    await page.goto(`${h.url}/demo/`);
    await acceptAll(page);
    await page.click('#cta');
    await flush(page);
    expect((await deviceStorage(page)).local).toEqual(['tp_anon', 'tp_consent', 'tp_session']);
    await page.evaluate(() => (window as any).tp.consent.open());
    const d = dialog(page);
    await d.getByRole('switch', { name: 'Analytics' }).uncheck();
    await d.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => (await deviceStorage(page)).local).toEqual(['tp_consent']);
    const before = sentEvents(sent).length;
    await page.click('#cta');
    await page.reload();
    await page.click('#cta');
    await flush(page);
    await sleep(2500);
    expect(sentEvents(sent).length).toBe(before);
    expect((await deviceStorage(page)).local).toEqual(['tp_consent']);
    await context.close();
  });
});

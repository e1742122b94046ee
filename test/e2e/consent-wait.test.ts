import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonOf, deviceStorage, dialog, flush, newPage, sentEvents, sleep, startHarness, storedEvents, waitStored, type Harness } from '../support/browser';

let h: Harness;
beforeAll(async () => {
  h = await startHarness(8809);
});
afterAll(async () => {
  await h?.stop();
});

/**
 * The fixture page calls `tp('track', 'signup', {plan: 'pro'})` and a marketing-category
 * `tp('track', 'ad_seen', …)` through the stub, before the snippet has loaded; the tests add
 * `tp.track` calls made after it loaded, still before the visitor decides.
 */
async function openUndecided(page: Page): Promise<void> {
  await page.goto(`${h.url}/demo/early-events.html`);
  await page.getByRole('button', { name: 'Accept all' }).waitFor();
  await page.evaluate(() => {
    const tp = (window as any).tp;
    tp.track('pricing_seen', { tier: 'pro' });
    tp.track('retarget', { list: 'visitors' }, { category: 'marketing' });
  });
}

/** Waited past the snippet's 2 s batch timer: still nothing sent, nothing on the device. */
async function expectNothingYet(page: Page, sent: unknown[]): Promise<void> {
  await sleep(2500);
  expect(sent).toEqual([]);
  expect(await deviceStorage(page)).toEqual({ local: [], idb: [] });
}

describe('events tracked before the visitor decides, real Chromium', () => {
  it('Preferences with analytics only: the analytics events are stored, the marketing ones never sent; the page view counts once', async () => {
    const { page, context, sent } = await newPage(h);
    await openUndecided(page);
    await expectNothingYet(page, sent);

    await page.getByRole('button', { name: 'Preferences' }).click();
    const d = dialog(page);
    await d.getByRole('switch', { name: 'Analytics' }).check();
    // Still undecided while the dialog is open: nothing on the device yet.
    expect(await deviceStorage(page)).toEqual({ local: [], idb: [] });
    const receipt = page.waitForResponse((r) => r.url().endsWith('/v1/consent'));
    await d.getByRole('button', { name: 'Save' }).click();
    await receipt;
    await flush(page);

    const events = sentEvents(sent);
    expect(events.filter((e) => e.c !== 'analytics')).toEqual([]);
    expect(events.map((e) => e.n).sort()).toEqual(['pageview', 'pricing_seen', 'signup']);

    const anon = await anonOf(page);
    const rows = await waitStored(h, (r) => r.filter((x) => x.anon_id === anon).length >= 3);
    const mine = rows.filter((x) => x.anon_id === anon);
    expect(mine.map((x) => x.name).sort()).toEqual(['pageview', 'pricing_seen', 'signup']);
    expect(mine.find((x) => x.name === 'signup')).toMatchObject({ category: 'analytics', props: { plan: 'pro' } });
    // Held events keep the page view they happened in.
    const view = mine.find((x) => x.name === 'pageview');
    expect(mine.every((x) => x.pageview_id === view.pageview_id)).toBe(true);
    expect(rows.some((x) => ['ad_seen', 'retarget'].includes(x.name))).toBe(false);
    await context.close();
  });

  it('Reject all drops what was held: analytics granted later on the page sends only that page\'s view', async () => {
    const { page, context, sent } = await newPage(h);
    await openUndecided(page);
    await expectNothingYet(page, sent);
    const receipt = page.waitForResponse((r) => r.url().endsWith('/v1/consent'));
    await page.getByRole('button', { name: 'Reject all' }).click();
    await receipt;
    await flush(page);
    // Granting analytics later on the same page counts this page's view, not what was dropped.
    await page.evaluate(() => (window as any).tp.consent.set({ analytics: true }));
    await flush(page);
    expect(sent.filter((r) => r.path === '/v1/e').length).toBeGreaterThan(0);
    expect(sentEvents(sent).map((e) => e.n)).toEqual(['pageview']);
    await context.close();
  });

  it('Reject all sends no event at all; only the decision is stored on the device', async () => {
    const { page, context, sent } = await newPage(h);
    await openUndecided(page);
    const receipt = page.waitForResponse((r) => r.url().endsWith('/v1/consent'));
    await page.getByRole('button', { name: 'Reject all' }).click();
    await receipt;
    await flush(page);
    await sleep(2500);
    expect(sent.map((r) => r.path)).toEqual(['/v1/consent']);
    expect(await deviceStorage(page)).toEqual({ local: ['tp_consent'], idb: [] });
    await context.close();
  });

  it('Accept all: every held event goes, at most 50 of them, with one page view', async () => {
    const { page, context, sent } = await newPage(h);
    await openUndecided(page);
    await page.evaluate(() => {
      for (let i = 0; i < 60; i++) (window as any).tp('track', 'burst', { n: i });
    });
    await expectNothingYet(page, sent);
    const receipt = page.waitForResponse((r) => r.url().endsWith('/v1/consent'));
    await page.getByRole('button', { name: 'Accept all' }).click();
    await receipt;
    await flush(page);

    const events = sentEvents(sent);
    expect(events).toHaveLength(50);
    expect(events.filter((e) => e.n === 'pageview')).toHaveLength(1);
    expect(events.filter((e) => e.c === 'marketing').map((e) => e.n).sort()).toEqual(['ad_seen', 'retarget']);
    // The first ones are kept: the page view, the page's own calls, then the burst until the bound.
    expect(events.filter((e) => e.n === 'burst').map((e) => e.p.n)).toEqual([...Array(45).keys()]);
    const anon = await anonOf(page);
    const rows = await waitStored(h, (r) => r.filter((x) => x.anon_id === anon).length >= 50);
    expect(rows.filter((x) => x.anon_id === anon)).toHaveLength(50);
    expect((await storedEvents(h)).filter((x) => x.anon_id === anon && x.name === 'pageview')).toHaveLength(1);
    await context.close();
  });
});

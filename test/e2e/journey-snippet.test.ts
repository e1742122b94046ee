import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptAll, anonOf, flush, newPage, servePage, startHarness, waitStored, type Harness } from '../support/browser';

let h: Harness;
beforeAll(async () => {
  h = await startHarness(8835);
});
afterAll(async () => {
  await h?.stop();
});

const kpi = (answer: any, stage: string, id: string) => answer.stages.find((s: any) => s.stage === stage)?.kpis.find((k: any) => k.id === id)?.value;

describe('from the page to the journey answer, in real Chromium', () => {
  it('a purchase with revenue and two shares (a share link, the Web Share API) reach the conversion and advocacy stages', async () => {
    const { page, context } = await newPage(h);
    // Linux Chromium has no Web Share API: the page gets one that completes, as a phone's would after the visitor shares.
    await page.addInitScript(() => Object.defineProperty(navigator, 'share', { value: async () => undefined, configurable: true, writable: true }));
    await servePage(
      context,
      `${h.url}/demo/journey-fixture.html`,
      `<!doctype html><html lang="en"><head><script async src="${h.url}/tp.js" data-site="demo"></script></head><body>
       <main><h1>Product</h1><a id="li" href="https://www.linkedin.com/sharing/share-offsite/?url=x" data-tp-share="linkedin">Share on LinkedIn</a>
       <button id="native" onclick="navigator.share({url: location.href + '?token=secret'})">Share…</button></main></body></html>`,
    );
    await page.goto(`${h.url}/demo/journey-fixture.html`);
    await acceptAll(page);
    const anon = await anonOf(page);
    // tp.anonymousId() is this browser's id once analytics is granted (for the site's back end).
    expect(await page.evaluate(() => (window as any).tp.anonymousId())).toBe(anon);
    await page.evaluate(() => (window as any).tp.track('purchase', { items: 2 }, { revenue: { amount: 19.99, currency: 'EUR' } }));
    await page.evaluate(() => document.addEventListener('click', (e) => e.preventDefault()));
    await page.click('#li');
    await page.click('#native');
    await flush(page);

    const rows = await waitStored(h, (r) => r.filter((x) => x.anon_id === anon && x.name === 'share').length === 2 && r.some((x) => x.anon_id === anon && x.name === 'purchase'));
    const mine = rows.filter((x) => x.anon_id === anon);
    // Stored exactly, in minor units: no float drift.
    expect(mine.find((x) => x.name === 'purchase')).toMatchObject({ revenue: 1999, currency: 'EUR', custom: 1, props: { items: 2 } });
    expect(mine.filter((x) => x.name === 'share').map((x) => x.props.network ?? null).sort()).toEqual(['linkedin', null]);
    expect(JSON.stringify(mine)).not.toContain('secret');

    const res = await fetch(`${h.url}/api/v1/journey`, {
      method: 'POST',
      headers: { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' },
      body: JSON.stringify({ site_id: 'demo', date_range: 'day' }),
    });
    expect(res.status).toBe(200);
    const answer = await res.json();
    expect(answer.stages.map((s: any) => s.stage)).toEqual(['attraction', 'consideration', 'conversion', 'loyalty', 'advocacy']);
    expect(kpi(answer, 'advocacy', 'shares')).toBe(2);
    expect(kpi(answer, 'conversion', 'revenue')).toBe(19.99);
    await context.close();
  });

  it('tp.anonymousId() is null while analytics is not granted', async () => {
    const { page, context } = await newPage(h);
    await page.goto(`${h.url}/demo/`);
    await page.getByRole('button', { name: 'Reject all' }).click();
    expect(await page.evaluate(() => (window as any).tp.anonymousId())).toBeNull();
    await context.close();
  });
});

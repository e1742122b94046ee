import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonOf, newPage, sentEvents, sleep, startHarness, waitStored, type Harness } from '../support/browser';

let h: Harness;
beforeAll(async () => {
  h = await startHarness(8801);
});
afterAll(async () => {
  await h?.stop();
});

describe('consent banner in real Chromium', () => {
  it('sends and stores nothing before consent, then stores events after Accept all', async () => {
    const { page, context, sent } = await newPage(h);
    await page.goto(`${h.url}/demo/`);
    const accept = page.getByRole('button', { name: 'Accept all' });
    await accept.waitFor();
    await expect(page.getByRole('button', { name: 'Reject all' }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('region', { name: 'Your privacy' }).isVisible()).resolves.toBe(true);
    await page.click('#cta');
    await sleep(2500);
    expect(sent).toEqual([]);
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]);
    expect(await page.evaluate(() => indexedDB.databases())).toEqual([]);
    expect(await page.evaluate(() => (window as any).demoPixelLoaded ?? 0)).toBe(0);

    await accept.click();
    await page.click('#cta');
    await page.evaluate(() => (window as any).tp.flush());
    const anon = await anonOf(page);
    expect(anon).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent.filter((r) => r.path === '/v1/consent')).toHaveLength(1);
    const names = sentEvents(sent).map((e) => e.n);
    expect(names).toEqual(expect.arrayContaining(['pageview', 'click', 'home_loaded']));
    // Before the decision events waited in memory (the page's home_loaded, the first click) and went with it;
    // the page view counts once.
    expect(names.filter((n) => n === 'pageview')).toHaveLength(1);
    expect(await page.evaluate(() => (window as any).demoPixelLoaded)).toBe(1);

    const rows = await waitStored(h, (r) => r.filter((x) => x.anon_id === anon).length >= 4);
    const mine = rows.filter((x) => x.anon_id === anon);
    expect(mine.map((x) => x.name).sort()).toEqual(['click', 'click', 'home_loaded', 'pageview']);
    expect(mine.find((x) => x.name === 'home_loaded')).toMatchObject({ props: { variant: 'b' } });
    expect(mine.find((x) => x.name === 'click')).toMatchObject({ props: { tag: 'button', id: 'cta', label: 'hero-cta', text: 'Start free trial' } });
    await context.close();
  });
});

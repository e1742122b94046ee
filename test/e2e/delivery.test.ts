import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptAll, anonOf, newPage, startHarness, storedEvents, waitStored, type Harness } from '../support/browser';

let h: Harness;
beforeAll(async () => {
  h = await startHarness(8805);
});
afterAll(async () => {
  await h?.stop();
});


describe('delivery: nothing lost, nothing twice', () => {
  it('offline (requests aborted) → reload → online: every event stored exactly once', async () => {
    const { page, context } = await newPage(h);
    await page.goto(`${h.url}/demo/`);
    await acceptAll(page);
    await page.evaluate(() => (window as any).tp.flush());
    const anon = await anonOf(page);

    // Offline: every attempt to deliver events fails; remember what the page tried to send.
    const attempted = new Map<string, number>();
    await context.route('**/v1/e', async (route) => {
      for (const e of JSON.parse(route.request().postData() ?? '{}').e ?? []) attempted.set(e.i, (attempted.get(e.i) ?? 0) + 1);
      await route.abort('internetdisconnected');
    });
    await page.click('#cta');
    await page.evaluate(() => (window as any).tp.track('offline_one', { n: 1 }));
    await page.evaluate(() => (window as any).tp.flush());
    await page.reload(); // still offline: this page's view fails too, the outbox keeps both
    await page.evaluate(() => (window as any).tp.track('offline_two', { n: 2 }));
    await page.evaluate(() => (window as any).tp.flush());
    expect(attempted.size).toBeGreaterThanOrEqual(4);

    await context.unroute('**/v1/e');
    await page.reload(); // online: the outbox goes out
    const ids = [...attempted.keys()];
    const rows = await waitStored(h, (r) => ids.every((i) => r.some((x) => x.id === i)));
    const mine = rows.filter((x) => ids.includes(x.id));
    expect(mine.map((x) => x.id).sort()).toEqual(ids.sort());
    expect(mine.map((x) => x.name)).toEqual(expect.arrayContaining(['click', 'offline_one', 'offline_two', 'pageview']));
    expect(mine.every((x) => x.anon_id === anon)).toBe(true);

    // Another reload re-sends nothing that is already stored, and nothing is duplicated.
    await page.reload();
    await page.evaluate(() => (window as any).tp.flush());
    await page.waitForTimeout(1500);
    const all = (await storedEvents(h)).filter((x) => ids.includes(x.id));
    expect(all).toHaveLength(ids.length);
    expect(await page.evaluate(() => new Promise((r) => { const q = indexedDB.open('touchpoint'); q.onsuccess = () => { const g = q.result.transaction('outbox').objectStore('outbox').get('o'); g.onsuccess = () => r(Object.keys(g.result ?? {}).length); }; }))).toBe(0);
    await context.close();
  });

  it('pagehide: events still buffered when the visitor leaves are delivered (keepalive)', async () => {
    const { page, context } = await newPage(h);
    await page.goto(`${h.url}/demo/`);
    await acceptAll(page);
    const anon = await anonOf(page);
    await page.evaluate(() => (window as any).tp.track('leaving_now'));
    await page.click('#to-pricing'); // well within the 2 s batching window
    const rows = await waitStored(h, (r) => r.some((x) => x.anon_id === anon && x.name === 'leaving_now'));
    expect(rows.filter((x) => x.anon_id === anon && x.name === 'leaving_now')).toHaveLength(1);
    await context.close();
  });

  it('URLs leave the browser without query values (GET forms, reset links), campaign parameters kept', async () => {
    const { page, context } = await newPage(h);
    await page.goto(`${h.url}/demo/`);
    await acceptAll(page);
    const anon = await anonOf(page);
    await page.goto(`${h.url}/demo/?email=visitor%40example.com&utm_source=newsletter&utm_campaign=nov&gclid=abc`);
    await page.evaluate(() => (window as any).tp.flush());
    const rows = await waitStored(h, (r) => r.some((x) => x.anon_id === anon && x.utm_source === 'newsletter'));
    const view = rows.find((x) => x.anon_id === anon && x.utm_source === 'newsletter');
    expect(view).toMatchObject({ name: 'pageview', utm_campaign: 'nov' });
    expect(JSON.stringify(rows)).not.toContain('visitor');
    await context.close();
  });
});

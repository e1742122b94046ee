import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptAll, anonOf, dialog, newPage, startHarness, storedEvents, waitStored, type Harness } from '../support/browser';

let h: Harness;
beforeAll(async () => {
  h = await startHarness(8807);
});
afterAll(async () => {
  await h?.stop();
});

describe('"Your data" in the preferences dialog, real Chromium', () => {
  it('Download my data saves this browser\'s data; Erase my data removes it from the collector and rotates the id', async () => {
    const { page, context } = await newPage(h, { acceptDownloads: true });
    await page.goto(`${h.url}/demo/`);
    await acceptAll(page);
    await page.click('#cta');
    await page.evaluate(() => (window as any).tp.flush());
    const anon = await anonOf(page);
    await waitStored(h, (r) => r.filter((x) => x.anon_id === anon).length >= 2);

    await page.evaluate(() => (window as any).tp.consent.open());
    const d = dialog(page);
    const download = page.waitForEvent('download');
    await d.getByRole('button', { name: 'Download my data' }).click();
    const file = JSON.parse(await readFile((await (await download).path())!, 'utf8'));
    expect(file.subject).toEqual({ type: 'anonymous', anonymous_id: anon });
    expect(file.events.map((e: any) => e.name).sort()).toEqual(['click', 'pageview']);
    expect(file.consent_receipts).toHaveLength(1);
    await expect(d.getByRole('status').textContent()).resolves.toBe('Your data was downloaded.');

    await d.getByRole('button', { name: 'Erase my data' }).click();
    await expect.poll(() => d.getByRole('status').textContent()).toBe('Your data was erased, and this browser has a new random id.');
    expect((await storedEvents(h)).filter((x) => x.anon_id === anon)).toEqual([]);
    const fresh = await anonOf(page);
    expect(fresh).not.toBe(anon);

    // Consent stands: browsing goes on under the new id, and the new id's data is downloadable.
    await page.keyboard.press('Escape');
    await page.click('#cta');
    await page.evaluate(() => (window as any).tp.flush());
    await waitStored(h, (r) => r.some((x) => x.anon_id === fresh));
    await page.evaluate(() => (window as any).tp.consent.open());
    const again = page.waitForEvent('download');
    await d.getByRole('button', { name: 'Download my data' }).click();
    const file2 = JSON.parse(await readFile((await (await again).path())!, 'utf8'));
    expect(file2.subject.anonymous_id).toBe(fresh);
    expect(JSON.stringify(file2)).not.toContain(anon);
    await context.close();
  });

  it('without analytics consent nothing is stored, and the dialog says so', async () => {
    const { page, context, sent } = await newPage(h);
    await page.goto(`${h.url}/demo/`);
    await page.getByRole('button', { name: 'Reject all' }).click();
    await page.evaluate(() => (window as any).tp.consent.open());
    await dialog(page).getByRole('button', { name: 'Download my data' }).click();
    await expect.poll(() => dialog(page).getByRole('status').textContent()).toBe('Nothing is stored about this browser.');
    expect(sent.filter((r) => r.path === '/v1/me')).toEqual([]);
    await context.close();
  });
});

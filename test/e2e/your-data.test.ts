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
  it('Download my data saves this browser\'s data; Erase my data asks first, then removes it from the collector and rotates the id', async () => {
    const { page, context } = await newPage(h, { acceptDownloads: true });
    const erasures: string[] = [];
    page.on('request', (r) => r.method() === 'DELETE' && erasures.push(new URL(r.url()).pathname));
    await page.goto(`${h.url}/demo/`);
    await acceptAll(page);
    await page.click('#cta');
    await page.evaluate(() => (window as any).tp.flush());
    const anon = await anonOf(page);
    // The page's home_loaded, tracked before the decision, went with it.
    await waitStored(h, (r) => r.filter((x) => x.anon_id === anon).length >= 3);

    await page.evaluate(() => (window as any).tp.consent.open());
    const d = dialog(page);
    const download = page.waitForEvent('download');
    await d.getByRole('button', { name: 'Download my data' }).click();
    const file = JSON.parse(await readFile((await (await download).path())!, 'utf8'));
    expect(file.subject).toEqual({ type: 'anonymous', anonymous_id: anon });
    expect(file.events.map((e: any) => e.name).sort()).toEqual(['click', 'home_loaded', 'pageview']);
    expect(file.consent_receipts).toHaveLength(1);
    await expect(d.getByRole('status').textContent()).resolves.toBe('Your data was downloaded.');

    // The first click only asks, in a labelled group with focus on the safe answer.
    const erase = d.getByRole('button', { name: 'Erase my data' });
    const question = d.getByRole('group', { name: 'Erase everything recorded about this browser? This cannot be undone.' });
    await erase.click();
    await question.waitFor();
    await expect(question.getByRole('button', { name: 'Cancel' }).evaluate((b) => b === (b.getRootNode() as ShadowRoot).activeElement)).resolves.toBe(true);
    // Cancel: nothing was erased.
    await question.getByRole('button', { name: 'Cancel' }).click();
    await expect(question.isVisible()).resolves.toBe(false);
    await expect(erase.evaluate((b) => b === (b.getRootNode() as ShadowRoot).activeElement)).resolves.toBe(true);
    // Escape answers the question with Cancel and leaves the dialog open.
    await page.keyboard.press('Enter');
    await question.waitFor();
    await page.keyboard.press('Escape');
    await expect(question.isVisible()).resolves.toBe(false);
    await expect(d.isVisible()).resolves.toBe(true);
    expect(erasures).toEqual([]);
    expect(await anonOf(page)).toBe(anon);
    expect((await storedEvents(h)).filter((x) => x.anon_id === anon)).toHaveLength(3);

    // By keyboard: Enter asks, Shift+Tab from Cancel reaches "Yes, erase", Enter erases.
    await page.keyboard.press('Enter');
    await question.waitFor();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => d.getByRole('status').textContent())
      .toBe('Your data was erased. Analytics goes on with your current choices under a new random id; to stop it, switch off Analytics and save.');
    await expect(question.isVisible()).resolves.toBe(false);
    await expect(erase.evaluate((b) => b === (b.getRootNode() as ShadowRoot).activeElement)).resolves.toBe(true);
    expect(erasures).toEqual(['/v1/me']);
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
    // Nothing to erase: said at once, no question.
    await dialog(page).getByRole('button', { name: 'Erase my data' }).click();
    await expect(dialog(page).getByRole('button', { name: 'Yes, erase' }).count()).resolves.toBe(0);
    await expect.poll(() => dialog(page).getByRole('status').textContent()).toBe('Nothing is stored about this browser.');
    expect(sent.filter((r) => r.path === '/v1/me')).toEqual([]);
    await context.close();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptAll, anonOf, flush, newPage, startHarness, waitStored, type Harness } from '../support/browser';

let h: Harness;
beforeAll(async () => {
  h = await startHarness(8831);
});
afterAll(async () => {
  await h?.stop();
});

describe('the demo shop is a good example', () => {
  it('sign-up posts (nothing typed reaches a URL), says it worked, and records the conversion', async () => {
    const { page, context, sent } = await newPage(h);
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    await page.goto(`${h.url}/demo/signup.html`);
    await acceptAll(page);
    await page.getByLabel('Name').fill('Ada Lovelace');
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill('hunter2-Secret');
    await page.getByRole('button', { name: 'Create account' }).click();

    await expect.poll(() => page.getByRole('status').textContent()).toContain('Account created. Welcome, Ada Lovelace!');
    expect(await page.getByRole('button', { name: 'Create account' }).isVisible()).toBe(false);
    expect(new URL(page.url()).search).toBe(''); // no query: nothing typed is in the address
    await flush(page);
    expect([...urls, ...sent.map((r) => r.body)].join('\n')).not.toContain('hunter2');
    const anon = await anonOf(page);
    const rows = await waitStored(h, (r) => r.some((x) => x.anon_id === anon && x.name === 'signup'));
    expect(rows.find((x) => x.anon_id === anon && x.name === 'signup')).toMatchObject({ custom: 1, props: { plan: 'free' } });
    await context.close();
  });

  it('without JavaScript the form still posts and lands back on the page, with nothing in the URL', async () => {
    const res = await fetch(`${h.url}/demo/api/signup`, { method: 'POST', body: new URLSearchParams({ name: 'x', password: 'hunter2-Secret' }), redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/demo/signup.html');
  });
});

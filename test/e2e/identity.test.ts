import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptAll, anonOf, newPage, startHarness, storedEvents, type Harness } from '../support/browser';

let h: Harness;
beforeAll(async () => {
  h = await startHarness(8806);
});
afterAll(async () => {
  await h?.stop();
});

const profile = async (userId: string) => {
  const res = await fetch(`${h.url}/api/v1/profiles/${userId}?site_id=demo&limit=500`, { headers: { authorization: 'Bearer dev-admin-key' } });
  return { status: res.status, body: (await res.json()) as any };
};

describe('identity upgrade on the demo, in real Chromium', () => {
  it('anonymous browsing, login (server-computed token), browsing; the profile has the pre-login views; after logout nothing new lands on the user', async () => {
    const { page, context } = await newPage(h);
    await page.goto(`${h.url}/demo/app/`);
    await acceptAll(page);
    await page.getByRole('link', { name: 'Product 42' }).click();
    await page.getByRole('link', { name: 'Cart' }).click();
    const anonBefore = await anonOf(page);

    await page.fill('#login-email', 'ada@example.com');
    await page.click('#login-button');
    await expect.poll(() => page.textContent('#login-status')).toBe('Identified.');
    const login = await (await fetch(`${h.url}/demo/api/login`, { method: 'POST', body: JSON.stringify({ email: 'ada@example.com' }) })).json();
    const userId: string = login.userId;
    expect(await page.evaluate(() => JSON.parse(localStorage.getItem('tp_user')!))).toBe(userId);
    await page.getByRole('link', { name: 'Account' }).click();
    await page.evaluate(() => (window as any).tp.flush());

    await expect.poll(async () => (await profile(userId)).body.timeline?.events.filter((e: any) => e.name === 'pageview').map((e: any) => e.path), { timeout: 10_000 }).toEqual([
      '/demo/app/',
      '/demo/app/products/42',
      '/demo/app/cart',
      '/demo/app/account',
    ]);
    const p = (await profile(userId)).body;
    expect(p.anonymous_ids).toEqual([expect.objectContaining({ id: anonBefore, verified: true })]);
    expect(p.traits).toEqual({ email: 'ada@example.com', plan: 'free' });
    // The three views before login are stitched; the one after carries the user id.
    expect(p.timeline.events.filter((e: any) => e.name === 'pageview').map((e: any) => e.stitched)).toEqual([true, true, true, false]);

    // Logout: a new anonymous id; what follows is not Ada's (the click on "Log out" itself still is).
    await page.click('#logout');
    await page.evaluate(() => (window as any).tp.flush());
    await expect.poll(async () => (await profile(userId)).body.timeline.events.some((e: any) => e.name === 'click' && e.props.id === 'logout'), { timeout: 10_000 }).toBe(true);
    const atLogout = (await profile(userId)).body.event_count;
    const anonAfter = await anonOf(page);
    expect(anonAfter).not.toBe(anonBefore);
    expect(await page.evaluate(() => localStorage.getItem('tp_user'))).toBeNull();
    await page.getByRole('link', { name: 'Catalogue' }).click();
    await page.getByRole('link', { name: 'Product 42' }).click();
    await page.evaluate(() => (window as any).tp.flush());
    await expect.poll(async () => (await storedEvents(h)).filter((e) => e.anon_id === anonAfter && e.name === 'pageview').length, { timeout: 10_000 }).toBe(2);
    const after = (await profile(userId)).body;
    expect(after.event_count).toBe(atLogout);
    expect(after.anonymous_ids.map((x: any) => x.id)).toEqual([anonBefore]);
    expect((await storedEvents(h)).filter((e) => e.anon_id === anonAfter).every((e) => e.user_id === null)).toBe(true);
    await context.close();
  });

  it('identify as another user on the same device starts a new anonymous id instead of merging', async () => {
    const { page, context } = await newPage(h);
    await page.goto(`${h.url}/demo/app/`);
    await acceptAll(page);
    const login = async (email: string) => (await (await fetch(`${h.url}/demo/api/login`, { method: 'POST', body: JSON.stringify({ email }) })).json()) as any;
    const ada = await login('ada2@example.com');
    const bob = await login('bob@example.com');
    expect(await page.evaluate(([u, t]) => (window as any).tp.identify(u, { token: t }), [ada.userId, ada.token])).toEqual({ ok: true });
    const adaAnon = await anonOf(page);
    // No logout in between: the page identifies Bob directly.
    expect(await page.evaluate(([u, t]) => (window as any).tp.identify(u, { token: t }), [bob.userId, bob.token])).toEqual({ ok: true });
    const bobAnon = await anonOf(page);
    expect(bobAnon).not.toBe(adaAnon);
    await page.getByRole('link', { name: 'Cart' }).click();
    await page.evaluate(() => (window as any).tp.flush());
    await expect.poll(async () => (await profile(bob.userId)).body.timeline?.events.some((e: any) => e.path === '/demo/app/cart'), { timeout: 10_000 }).toBe(true);
    expect((await profile(ada.userId)).body.anonymous_ids.map((x: any) => x.id)).toEqual([adaAnon]);
    expect((await profile(bob.userId)).body.anonymous_ids.map((x: any) => x.id)).toEqual([bobAnon]);
    expect((await profile(ada.userId)).body.timeline.events.some((e: any) => e.path === '/demo/app/cart')).toBe(false);
    // A wrong token is refused and reported to the page.
    expect(await page.evaluate(() => (window as any).tp.identify('cust_mallory', { token: 'deadbeef' }))).toEqual({ ok: false, reason: 'invalid_identity_token' });
    expect(await page.evaluate(() => localStorage.getItem('tp_user'))).toBeNull();
    await context.close();
  });

  it('after the site erased this browser (DSAR), login starts a new anonymous id: the erased one stays dead', async () => {
    const { page, context } = await newPage(h);
    await page.goto(`${h.url}/demo/app/`);
    await acceptAll(page);
    await page.evaluate(() => (window as any).tp.flush());
    const erased = await anonOf(page);
    await expect.poll(async () => (await storedEvents(h)).some((e) => e.anon_id === erased), { timeout: 10_000 }).toBe(true);
    const del = await fetch(`${h.url}/api/v1/subjects/${erased}?site_id=demo&kind=anonymous`, { method: 'DELETE', headers: { authorization: 'Bearer dev-admin-key' } });
    expect(del.status).toBe(200);

    const login = await (await fetch(`${h.url}/demo/api/login`, { method: 'POST', body: JSON.stringify({ email: 'erin@example.com' }) })).json();
    expect(await page.evaluate(([u, t]) => (window as any).tp.identify(u, { token: t }), [login.userId, login.token])).toEqual({ ok: true });
    const fresh = await anonOf(page);
    expect(fresh).not.toBe(erased);
    expect((await profile(login.userId)).body.anonymous_ids.map((x: any) => x.id)).toEqual([fresh]);
    await page.getByRole('link', { name: 'Cart' }).click();
    await page.evaluate(() => (window as any).tp.flush());
    await expect.poll(async () => (await storedEvents(h)).some((e) => e.anon_id === fresh && e.path === '/demo/app/cart'), { timeout: 10_000 }).toBe(true);
    expect((await storedEvents(h)).some((e) => e.anon_id === erased)).toBe(false);
    await context.close();
  });
});

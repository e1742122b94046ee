import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptAll, anonOf, flush, newPage, sentEvents, startHarness, waitStored, type Harness } from '../support/browser';

let h: Harness;
beforeAll(async () => {
  h = await startHarness(8804);
});
afterAll(async () => {
  await h?.stop();
});


describe('micro-actions in real Chromium', () => {
  it('SPA navigation: pushState, replaceState with a new path, popstate count; same URL and hash do not; referrer is the previous view', async () => {
    const { page, context, sent } = await newPage(h);
    await page.goto(`${h.url}/demo/app/`);
    await acceptAll(page);
    await page.getByRole('link', { name: 'Product 42' }).click(); // pushState
    await page.getByRole('link', { name: 'Product 42' }).click(); // same URL again: no view
    await page.evaluate(() => history.replaceState({}, '', '/demo/app/products/42')); // same path: no view
    await page.evaluate(() => history.replaceState({}, '', '/demo/app/products/43')); // new path: a view
    await page.evaluate(() => (location.hash = 'reviews')); // hash routing is off for this site
    await page.getByRole('link', { name: 'Cart' }).click();
    await page.goBack(); // popstate back to #reviews: a new path
    await flush(page);
    const base = `${h.url}/demo/app`;
    const views = sentEvents(sent).filter((e) => e.n === 'pageview').map((e) => [e.u, e.r ?? null]);
    expect(views).toEqual([
      [`${base}/`, null],
      [`${base}/products/42`, `${base}/`],
      [`${base}/products/43`, `${base}/products/42`],
      [`${base}/cart`, `${base}/products/43`],
      // Fragments never leave the browser on a site without hash routing (they can carry tokens).
      [`${base}/products/43`, `${base}/cart`],
    ]);
    // Every view has its own page-view id; the click belongs to the view it happened in.
    const ev = sentEvents(sent);
    expect(new Set(ev.filter((e) => e.n === 'pageview').map((e) => e.pv)).size).toBe(5);
    const cartView = ev.find((e) => e.n === 'pageview' && e.u === `${base}/cart`);
    expect(ev.find((e) => e.n === 'click' && e.p.text === 'Cart')?.pv).not.toBe(cartView.pv);
    const anon = await anonOf(page);
    const rows = await waitStored(h, (r) => r.filter((x) => x.anon_id === anon && x.name === 'pageview').length >= 5);
    expect(rows.filter((x) => x.anon_id === anon && x.name === 'pageview')).toHaveLength(5);
    await context.close();
  });

  it('scroll depth: 25/50/75/100 once each per page view, max depth in engagement', async () => {
    const { page, context, sent } = await newPage(h);
    await page.goto(`${h.url}/demo/`);
    await acceptAll(page);
    for (const y of [0.3, 0.6, 1, 0, 1]) {
      await page.evaluate((f) => window.scrollTo(0, f * document.documentElement.scrollHeight), y);
      await page.waitForTimeout(150);
    }
    await page.mouse.move(10, 10);
    await page.waitForTimeout(1100);
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pagehide')));
    await flush(page);
    const scroll = sentEvents(sent).filter((e) => e.n === 'scroll').map((e) => e.p.depth);
    expect(scroll).toEqual([25, 50, 75, 100]);
    const engagement = sentEvents(sent).find((e) => e.n === 'engagement');
    expect(engagement.p.scroll).toBe(100);
    expect(engagement.p.ms).toBeGreaterThanOrEqual(1000);
    await context.close();
  });

  it('forms: start, fields, submit are captured; a typed value never leaves the browser; marked safe fields only with consent', async () => {
    const SENTINEL = 'Sentinel-7f3a9c';
    const { page, context, sent } = await newPage(h);
    await page.goto(`${h.url}/demo/signup.html`);
    await acceptAll(page);
    // The page stays (as an SPA form would), so every request body is observable here; leaving
    // the page is the abandon test's and the delivery tests' business.
    await page.evaluate(() => document.getElementById('signup')!.addEventListener('submit', (e) => e.preventDefault()));
    await page.fill('#name', `${SENTINEL} Name`);
    await page.fill('#email', `${SENTINEL.toLowerCase()}@example.com`);
    await page.selectOption('#size', '11-50');
    await page.fill('#password', `${SENTINEL}-pw`);
    await page.fill('#card', '4111 1111 1111 1111');
    await page.click('#submit');
    await flush(page);
    const all = sent.map((r) => r.body).join('\n');
    expect(all.toLowerCase()).not.toContain(SENTINEL.toLowerCase());
    // The card number, spaced or not (a bare '4111' also turns up in random ids now and then).
    expect(all).not.toMatch(/4111[\s-]?1111/);
    expect(all).not.toContain('internal-campaign');
    const names = sentEvents(sent).map((e) => e.n);
    expect(names).toEqual(expect.arrayContaining(['form_start', 'form_field', 'form_submit']));
    const submit = sentEvents(sent).find((e) => e.n === 'form_submit');
    // company size is marked data-tp-capture="marketing" and marketing was granted; nothing else is there
    expect(submit.p).toEqual({ form: 'signup', v_company_size: '11-50' });
    const fields = sentEvents(sent).filter((e) => e.n === 'form_field');
    expect(fields.find((e) => e.p.field === 'password')?.p).toMatchObject({ form: 'signup', type: 'password', filled: true });

    const anon = await anonOf(page);
    const rows = await waitStored(h, (r) => r.some((x) => x.anon_id === anon && x.name === 'form_submit'));
    expect(JSON.stringify(rows).toLowerCase()).not.toContain(SENTINEL.toLowerCase());
    await context.close();
  });

  it('forms: a started form left for another page is an abandon', async () => {
    const { page, context, sent } = await newPage(h);
    await page.goto(`${h.url}/demo/signup.html`);
    await acceptAll(page);
    await page.fill('#name', 'x');
    await page.focus('#email');
    const anon = await anonOf(page);
    await page.goto(`${h.url}/demo/`);
    // Sent at pagehide (a keepalive request the browser finishes after the page is gone).
    const rows = await waitStored(h, (r) => r.some((x) => x.anon_id === anon && x.name === 'form_abandon'));
    expect(rows.find((x) => x.anon_id === anon && x.name === 'form_abandon')?.props).toEqual({ form: 'signup', last: 'email' });
    expect(sent.length).toBeGreaterThan(0);
    await context.close();
  });

  it('clicks: outbound and download links, rage clicks, impressions of data-tp-view', async () => {
    const { page, context, sent } = await newPage(h);
    await page.goto(`${h.url}/demo/`);
    await acceptAll(page);
    // The page keeps the visitor here (as a site opening links in a new tab would); capture still sees the clicks.
    await page.evaluate(() => document.addEventListener('click', (e) => (e.target as Element).closest('#download,#outbound') && e.preventDefault()));
    await page.click('#cta');
    await page.click('#cta');
    await page.click('#cta');
    await page.click('#download');
    await page.click('#outbound');
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await page.waitForTimeout(300);
    await flush(page);
    const ev = sentEvents(sent);
    expect(ev.filter((e) => e.n === 'rage_click')).toEqual([expect.objectContaining({ p: { tag: 'button' } })]);
    expect(ev.filter((e) => e.n === 'click')).toHaveLength(3);
    expect(ev.find((e) => e.n === 'download')?.p).toEqual({ tag: 'a', text: 'Brochure (PDF)', id: 'download', href: `${h.url}/demo/files/brochure.pdf` });
    expect(ev.find((e) => e.n === 'outbound')?.p).toEqual({ tag: 'a', text: 'Our partner', id: 'outbound', href: 'https://example.org/partner' });
    expect(ev.filter((e) => e.n === 'impression').map((e) => e.p)).toEqual([{ view: 'newsletter-box' }]);
    const anon = await anonOf(page);
    const rows = await waitStored(h, (r) => r.some((x) => x.anon_id === anon && x.name === 'impression'));
    expect(rows.filter((x) => x.anon_id === anon).map((x) => x.name)).toEqual(expect.arrayContaining(['rage_click', 'download', 'outbound', 'impression']));
    await context.close();
  });
});

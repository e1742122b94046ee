import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptAll, anonOf, flush, newPage, sentEvents, startHarness, waitStored, type Harness } from '../support/browser';

let h: Harness;
beforeAll(async () => {
  h = await startHarness(8815);
});
afterAll(async () => {
  await h?.stop();
});

/**
 * What must never leave the browser nor be stored: values a GET form put into the page's query, a token in the
 * fragment, the private query, fragment and credentials of links and form actions on the page (public/demo/leaks.html
 * marks each of those with "Xleak9").
 */
const SECRETS = ['hunter2secret', '4111111111111111', 'Xleak9', 'access_token'];
const leaked = (text: string) => SECRETS.filter((s) => text.includes(s));

const MICRO_ACTIONS = ['pageview', 'click', 'outbound', 'download', 'rage_click', 'scroll', 'form_start', 'form_field', 'form_error', 'form_submit', 'form_abandon', 'engagement', 'impression'];

/**
 * Keeps every body the pages hand to fetch/sendBeacon for the collector in localStorage (same origin as the demo
 * pages), so batches sent while a page goes away (pagehide: engagement, form abandon), which the browser finishes
 * after the page is gone and the request log misses, are checked too.
 */
function recordBodies(): void {
  const log = (body: unknown) => {
    try {
      localStorage.setItem('test-sent', `${localStorage.getItem('test-sent') ?? ''}${String(body)}\n`);
    } catch {
      /* not our page's origin */
    }
  };
  const f = window.fetch;
  window.fetch = function (input: RequestInfo | URL, init?: RequestInit) {
    if (init?.body && String(input instanceof Request ? input.url : input).includes('/v1/')) log(init.body);
    return f.call(this, input, init);
  };
  const beacon = navigator.sendBeacon.bind(navigator);
  navigator.sendBeacon = (url, data) => (log(data), beacon(url, data));
}
const recordedBodies = (page: Page): Promise<string[]> => page.evaluate(() => (localStorage.getItem('test-sent') ?? '').split('\n').filter(Boolean));

/** Lets links other than `#internal` not navigate, so the page stays while its clicks are captured. */
const holdLinks = (page: Page) =>
  page.evaluate(() =>
    document.addEventListener('click', (e) => {
      const a = (e.target as Element).closest('a');
      if (a && a.id !== 'internal') e.preventDefault();
    }),
  );

describe('no query value, fragment or URL credential reaches the collector', () => {
  it('every micro-action sends and stores cleaned URLs only (page, referrer, hrefs, form names)', async () => {
    const { page, context, sent } = await newPage(h);
    await context.addInitScript(recordBodies);
    const base = `${h.url}/demo`;
    await page.goto(`${base}/leaks.html?password=hunter2secret&card=4111111111111111&utm_source=news&gclid=G1#access_token=tok-Xleak9`);
    await acceptAll(page);
    // The page's address as the browser shows it (static assets may serve leaks.html as /demo/leaks).
    const leaksPage = `${h.url}${new URL(page.url()).pathname}`;
    await holdLinks(page);
    for (const id of ['#top-link', '#same-page', '#outbound', '#download', '#creds']) await page.click(id);
    for (let i = 0; i < 3; i++) await page.click('#cta');
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await page.waitForTimeout(300);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.fill('#email', 'not-an-email');
    await page.evaluate(() => (document.getElementById('email') as HTMLInputElement).checkValidity());
    await page.fill('#email', 'visitor@example.com');
    await page.fill('#password', 'typed-Xleak9');
    await page.fill('#card', '4111111111111111');
    await page.mouse.move(20, 20);
    await page.waitForTimeout(1100); // engaged for over a second: the page view's engagement is sent when it ends
    // A GET form: what was typed lands in the next page's URL (and, as its referrer, in the one after).
    await page.click('#send');
    await page.waitForURL(/card=4111111111111111/);
    await page.fill('#email', 'again');
    await page.click('#internal');
    await page.waitForURL(/pricing/);
    const pricingPage = `${h.url}${new URL(page.url()).pathname}`;
    await flush(page);

    const anon = await anonOf(page);
    const rows = await waitStored(h, (r) => {
      const names = new Set(r.filter((x) => x.anon_id === anon).map((x) => x.name));
      return MICRO_ACTIONS.every((n) => names.has(n)) && r.filter((x) => x.anon_id === anon && x.name === 'pageview').length >= 3;
    });
    const mine = rows.filter((x) => x.anon_id === anon);
    expect([...new Set(mine.map((x) => x.name))].sort()).toEqual([...MICRO_ACTIONS].sort());

    // Nothing secret in any request body the pages sent, nor in any stored row.
    const bodies = await recordedBodies(page);
    const sentNames = new Set(bodies.flatMap((b) => (JSON.parse(b).e ?? []).map((e: { n: string }) => e.n)));
    expect([...sentNames].sort()).toEqual([...MICRO_ACTIONS].sort());
    expect(leaked([...bodies, ...sent.map((r) => r.body)].join('\n'))).toEqual([]);
    expect(leaked(JSON.stringify(mine))).toEqual([]);

    // What is kept: paths, campaign parameters and click ids.
    const landing = `${leaksPage}?utm_source=news&gclid=G1`;
    const views = [
      [landing, null],
      [leaksPage, landing],
      [pricingPage, leaksPage],
    ];
    const sentViews = bodies.flatMap((b) => JSON.parse(b).e ?? []).filter((e: { n: string }) => e.n === 'pageview');
    expect(sentViews.map((e: { u: string; r?: string }) => [e.u, e.r ?? null])).toEqual(views);
    expect(mine.filter((x) => x.name === 'pageview').map((x) => [x.url, x.referrer]).sort()).toEqual([...views].sort());
    const hrefs = mine.filter((x) => x.props?.href).map((x) => [x.name, x.props.href]);
    expect(hrefs).toEqual(
      expect.arrayContaining([
        ['click', landing],
        ['outbound', 'https://example.org/partner?utm_source=touchpoint'],
        ['download', `${base}/files/brochure.pdf`],
        ['outbound', 'https://example.net/login'],
        ['click', `${base}/pricing.html`],
      ]),
    );
    const forms = mine.filter((x) => x.name.startsWith('form_')).map((x) => x.props.form);
    expect(new Set(forms)).toEqual(new Set(['/demo/leaks.html']));
    await context.close();
  });

  it('an old cached snippet or a hand-written client cannot store them either: the collector cleans at the edge', async () => {
    const { page, context } = await newPage(h);
    await page.goto(`${h.url}/demo/`);
    await acceptAll(page);
    const ids = await page.evaluate(async () => {
      const { t } = JSON.parse(localStorage.getItem('tp_consent')!);
      const { a } = JSON.parse(localStorage.getItem('tp_anon')!);
      const leaky = `${location.origin}/demo/leaks.html?password=hunter2secret&card=4111111111111111&utm_campaign=nov&fbclid=F1#access_token=tok-Xleak9`;
      const ev = (n: string, extra: object) => ({ i: `leak-${n}-${Math.random().toString(36).slice(2)}`, n, c: 'analytics', ts: Date.now(), u: leaky, ...extra });
      const e = [
        ev('pageview', { r: `https://ref.example/search?q=hunter2secret#Xleak9`, pv: 'pv-0000-0000' }),
        ev('click', { p: { tag: 'a', href: 'https://user:Xleak9@example.org/x?token=Xleak9&utm_source=a#Xleak9', text: 'https://shop.example/reset?key=Xleak9' } }),
        ev('form_submit', { p: { form: '/signup?card=4111111111111111' } }),
        ev('shared', { x: 1, p: { url: '/thanks?password=hunter2secret&msclkid=M1', note: 'see https://shop.example/r?t=Xleak9#Xleak9 now' } }),
      ];
      const res = await fetch('/v1/e', { method: 'POST', body: JSON.stringify({ s: 'demo', t, a, e }) });
      return { status: res.status, ids: e.map((x) => x.i) };
    });
    expect(ids.status).toBe(202);
    const rows = (await waitStored(h, (r) => ids.ids.every((i) => r.some((x) => x.id === i)))).filter((x) => ids.ids.includes(x.id));
    expect(rows).toHaveLength(4);
    expect(leaked(JSON.stringify(rows))).toEqual([]);
    const by = (n: string) => rows.find((x) => x.name === n)!;
    const clean = `${h.url}/demo/leaks.html?utm_campaign=nov&fbclid=F1`;
    expect(by('pageview')).toMatchObject({ url: clean, referrer: 'https://ref.example/search', utm_campaign: 'nov', click_id: 'fbclid:F1' });
    expect(by('click').props).toEqual({ tag: 'a', href: 'https://example.org/x?utm_source=a', text: 'https://shop.example/reset' });
    expect(by('form_submit').props).toEqual({ form: '/signup' });
    expect(by('shared').props).toEqual({ url: '/thanks?msclkid=M1', note: 'see https://shop.example/r now' });
    await context.close();
  });

  it('cookieless page views without consent: no page-view id, no props, cleaned URL', async () => {
    const { page, context, sent } = await newPage(h);
    const url = `${h.url}/fixture/cl-leaks.html?password=hunter2secret&utm_medium=email#access_token=tok-Xleak9`;
    await context.route(/\/fixture\/cl-leaks\.html/, (route) =>
      route.fulfill({
        status: 200,
        contentType: 'text/html',
        body: `<!doctype html><html lang="en"><head><script>window.tp = window.tp || function () { (tp.q = tp.q || []).push(arguments) }; tp('page', { plan: 'pro-Xleak9' });</script>
<script async src="${h.url}/tp.js" data-site="demo-cookieless"></script></head><body><h1>Shop</h1></body></html>`,
      }),
    );
    await page.goto(url);
    await page.getByRole('button', { name: 'Accept all' }).waitFor();
    await flush(page);
    const views = sentEvents(sent);
    expect(views.length).toBeGreaterThan(0);
    for (const e of views) {
      expect(e).toMatchObject({ n: 'pageview', u: `${h.url}/fixture/cl-leaks.html?utm_medium=email` });
      expect(e).not.toHaveProperty('pv');
      expect(e).not.toHaveProperty('p');
    }
    expect(leaked(sent.map((r) => r.body).join('\n'))).toEqual([]);
    const rows = (await waitStored(h, (r) => r.some((x) => x.path === '/fixture/cl-leaks.html'), 'demo-cookieless')).filter((x) => x.path === '/fixture/cl-leaks.html');
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toMatchObject({ url: `${h.url}/fixture/cl-leaks.html?utm_medium=email`, pageview_id: null, props: {}, anon_id: null, session_id: null, cookieless: 1 });
    await context.close();
  });
});

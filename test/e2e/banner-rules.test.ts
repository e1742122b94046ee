import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptAll, deviceStorage, newPage, sentEvents, servePage, sleep, startHarness, waitStored, type Harness } from '../support/browser';

let h: Harness;
beforeAll(async () => {
  h = await startHarness(8808);
});
afterAll(async () => {
  await h?.stop();
});

/** Waits until the decision's receipt was answered and its token saved (the snippet writes tp_consent again then). */
const decisionSaved = (p: import('playwright-core').Page) =>
  p.waitForFunction(() => {
    const d = JSON.parse(localStorage.getItem('tp_consent') ?? 'null');
    return d && d.t && !d.p;
  });
/** Rewrites the stored decision, as time passing or a policy change would leave it. */
const tamper = async (p: import('playwright-core').Page, patch: Record<string, unknown>) => {
  await decisionSaved(p);
  await p.evaluate((x) => localStorage.setItem('tp_consent', JSON.stringify({ ...JSON.parse(localStorage.getItem('tp_consent')!), ...x })), patch);
};

const page = (api: string, attrs: string, lang = 'en') =>
  `<!doctype html><html lang="${lang}"><head><script async src="${api}/tp.js" ${attrs}></script></head><body><h1>Shop</h1><a href="#x" id="l">x</a></body></html>`;

describe('banner rules in real Chromium', () => {
  it('language: <html lang="de"> gets the German banner; data-lang overrides it', async () => {
    const { page: p, context } = await newPage(h);
    await servePage(context, `${h.url}/fixture/de.html`, page(h.url, 'data-site="demo"', 'de-AT'));
    await servePage(context, `${h.url}/fixture/de-en.html`, page(h.url, 'data-site="demo" data-lang="en"', 'de'));
    await p.goto(`${h.url}/fixture/de.html`);
    await p.getByRole('button', { name: 'Alle akzeptieren' }).waitFor();
    await expect(p.getByRole('button', { name: 'Alle ablehnen' }).isVisible()).resolves.toBe(true);
    await expect(p.getByRole('region', { name: 'Ihre Privatsphäre' }).isVisible()).resolves.toBe(true);
    await p.goto(`${h.url}/fixture/de-en.html`);
    await p.getByRole('button', { name: 'Accept all' }).waitFor();
    await context.close();
  });

  it('config answer: the short shape tp.js asks for (f=2), and the earlier one a tp.js cached before it still reads', async () => {
    const get = async (q: string) => (await fetch(`${h.url}/v1/config?s=demo&l=de-AT${q}`)).json();
    const banner = ['Ihre Privatsphäre', expect.stringContaining('Wir nutzen'), 'Alle akzeptieren', 'Alle ablehnen', 'Einstellungen'];
    const cats = ['analytics', 'marketing', 'personalization'];
    expect(await get('&f=2')).toEqual({ v: '2026-11-01', gcm: true, l: 'de', t: banner, c: cats });
    const [title, body, accept, reject, prefs] = banner;
    expect(await get('')).toEqual({ v: '2026-11-01', gcm: true, lang: 'de', tx: { title, body, accept, reject, prefs }, cats });
  });

  it('re-prompts when the stored decision is for another policy version, or expired', async () => {
    const { page: p, context } = await newPage(h);
    await p.goto(`${h.url}/demo/`);
    await acceptAll(p);
    await p.reload();
    await sleep(800);
    await expect(p.getByRole('button', { name: 'Accept all' }).isVisible()).resolves.toBe(false);
    // An older policy version: asked again.
    await tamper(p, { v: '2025-01-01' });
    await p.reload();
    await p.getByRole('button', { name: 'Accept all' }).waitFor();
    await acceptAll(p);
    // Thirteen months old: asked again.
    await tamper(p, { ts: Date.now() - 396 * 864e5 });
    await p.reload();
    await p.getByRole('button', { name: 'Accept all' }).waitFor();
    expect(await p.evaluate(() => (window as any).tp.consent.get())).toBeNull();
    // A refusal lasts six months, not twelve.
    await p.getByRole('button', { name: 'Reject all' }).click();
    await tamper(p, { ts: Date.now() - 190 * 864e5 });
    await p.reload();
    await p.getByRole('button', { name: 'Accept all' }).waitFor();
    await context.close();
  });

  it('cookieless site: before consent page views are sent with no identifier and nothing is stored on the device', async () => {
    const { page: p, context, sent } = await newPage(h);
    await servePage(context, `${h.url}/fixture/cookieless.html`, page(h.url, 'data-site="demo-cookieless"'));
    await p.goto(`${h.url}/fixture/cookieless.html`);
    await p.getByRole('button', { name: 'Accept all' }).waitFor();
    await p.click('#l');
    await p.evaluate(() => (window as any).tp.flush());
    const batches = sent.filter((r) => r.path === '/v1/e').map((r) => r.json);
    expect(batches.length).toBeGreaterThan(0);
    for (const b of batches) expect(Object.keys(b).sort()).toEqual(['e', 's']);
    expect(sentEvents(sent).map((e) => e.n)).toEqual(['pageview']);
    expect(await deviceStorage(p)).toEqual({ local: [], idb: [] });
    const rows = await waitStored(h, (r) => r.some((x) => x.url === `${h.url}/fixture/cookieless.html`), 'demo-cookieless');
    const row = rows.find((x) => x.url === `${h.url}/fixture/cookieless.html`);
    expect(row).toMatchObject({ anon_id: null, session_id: null, cookieless: 1 });
    await context.close();
  });
});

import { readFileSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/browser';
import { api, fmt, panelsReady, seedVisit, signIn, waitVisitors } from '../support/dashboard';

// The marketer dashboard in real Chromium against the local collector: sign-in, the numbers against the API's own answers,
// filters from list rows (and from the URL), CSV export. Traffic is seeded through the public ingest path.
let h: Harness;
const pageErrors: string[] = [];

beforeAll(async () => {
  h = await startHarness(8841);
  const google = 'https://www.google.com/';
  await seedVisit(h, { pages: ['/', '/pricing'], events: ['signup'], referrer: google, ago: 30 });
  await seedVisit(h, { pages: ['/pricing'], events: ['signup'], referrer: google, ago: 60 });
  await seedVisit(h, { pages: ['/', '/about', '/pricing'], ago: 90 });
  await seedVisit(h, { pages: ['/blog'], referrer: 'https://news.ycombinator.com/item?id=1', ago: 120 });
  await seedVisit(h, { pages: ['/'], query: 'utm_source=newsletter&utm_medium=email', ago: 150 });
  await waitVisitors(h, 5);
});
afterAll(async () => {
  await h?.stop();
});
afterEach(() => {
  expect(pageErrors).toEqual([]);
  pageErrors.length = 0;
});

/** A fresh browser context with the page's errors recorded: uncaught exceptions and CSP refusals fail the test. */
async function open(path = '/dashboard/'): Promise<Page> {
  const context = await h.browser.newContext({ locale: 'en-US', acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(`console: ${m.text()}`);
  });
  await page.goto(`${h.url}${path}`);
  return page;
}

const region = (page: Page, name: string) => page.getByRole('region', { name, exact: true });

/** A table's body as text: the row header's visible label (without the screen-reader hint), then every cell. */
const rows = (table: Locator) =>
  table.evaluate((t) =>
    [...t.querySelectorAll('tbody tr')].map((tr) => [
      (tr.querySelector('.label')?.childNodes[0]?.textContent ?? tr.querySelector('th')!.textContent ?? '').trim(),
      ...[...tr.querySelectorAll('td')].map((td) => td.textContent!.trim()),
    ]),
  );

const statValue = (page: Page, metric: string) => region(page, 'Top stats').locator(`[data-metric="${metric}"] .stat-value`).textContent();

async function expectTopStats(page: Page, body: object): Promise<void> {
  const r = await api(h, '/api/v1/query', { site_id: 'demo', metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration'], ...body });
  const [visitors, visits, pageviews, bounce, duration] = r.results[0].metrics;
  expect(await statValue(page, 'visitors')).toBe(fmt.num(visitors));
  expect(await statValue(page, 'visits')).toBe(fmt.num(visits));
  expect(await statValue(page, 'pageviews')).toBe(fmt.num(pageviews));
  expect(await statValue(page, 'bounce_rate')).toBe(fmt.pct(bounce));
  expect(await statValue(page, 'visit_duration')).toBe(fmt.duration(duration));
  // The conversion rate: visitors who completed a conversion-stage goal (the demo's sign-up and purchase). Unfiltered the page
  // reads it from the journey answer, filtered it asks the query API: either way it is this number.
  const filters = 'filters' in body ? (body.filters as unknown[]) : [];
  const conv = await api(h, '/api/v1/query', { site_id: 'demo', ...body, metrics: ['conversion_rate'], filters: [...filters, ['is', 'event:goal', ['signup', 'purchase']]] });
  expect(await statValue(page, 'conversion_rate')).toBe(fmt.pct(conv.results[0].metrics[0]));
}

/** What a list shows for a query: the first 10 rows, each value formatted as the page formats it. */
async function expectList(page: Page, panel: string, body: object, show: (v: unknown) => string, kinds: ('num' | 'pct')[]): Promise<void> {
  const r = await api(h, '/api/v1/query', { site_id: 'demo', limit: 10, ...body });
  expect(r.results.length).toBeGreaterThan(0);
  expect(await rows(region(page, panel).locator('table'))).toEqual(r.results.map((x: any) => [show(x.dimensions[0]), ...x.metrics.map((m: number, i: number) => fmt[kinds[i]!](m))]));
}

describe('sign-in', () => {
  it('a labelled API key field and a Sign in button; the key becomes an HttpOnly session and is kept nowhere in the page; sign-out ends it', async () => {
    const page = await open();
    await page.getByLabel('API key').fill('not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('That API key is unknown or revoked.');

    await signIn(page, 'dev-admin-key');
    await panelsReady(page);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Touchpoint demo shop');
    // Nowhere in the page: not in storage, the URL, the DOM, or a cookie script can read.
    const seen = await page.evaluate(() => ({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie, html: document.documentElement.outerHTML }));
    expect(seen.local).toEqual({});
    expect(seen.session).toEqual({});
    expect(seen.cookie).toBe('');
    expect(seen.html).not.toContain('dev-admin-key');
    expect(page.url()).not.toContain('dev-admin-key');
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ name: 'tp_session', httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie!.value).not.toContain('dev-admin-key');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.getByRole('alert').textContent()).toBe('You are signed out.');
    expect(await page.context().cookies()).toEqual([]);
    // The session is gone on the server too: the same cookie, replayed, is refused.
    const replay = await fetch(`${h.url}/api/v1/query`, {
      method: 'POST',
      headers: { cookie: `${cookie!.name}=${cookie!.value}`, origin: h.url, 'content-type': 'application/json' },
      body: JSON.stringify({ site_id: 'demo', metrics: ['visitors'], date_range: '7d' }),
    });
    expect(replay.status).toBe(401);
    // And a reload asks for the key again.
    await page.reload();
    await page.getByLabel('API key').waitFor();
    await page.context().close();
  });
});

describe('the numbers are the API’s', () => {
  it('Top stats, Sources, Pages and a funnel built in the page equal the API for the same range', async () => {
    const page = await open('/dashboard/?site=demo&range=7d');
    await signIn(page);
    await panelsReady(page);
    await expectTopStats(page, { date_range: '7d' });
    await expectList(page, 'Sources', { date_range: '7d', metrics: ['visitors', 'visits'], dimensions: ['visit:source'] }, (v) => (v === null ? 'Direct / none' : String(v)), ['num', 'num']);
    await expectList(page, 'Pages', { date_range: '7d', metrics: ['visitors', 'pageviews'], dimensions: ['event:page'], filters: [['is', 'event:name', ['pageview']]] }, String, ['num', 'num']);
    await region(page, 'Pages').getByRole('button', { name: 'Entry pages' }).click();
    await expect.poll(async () => (await rows(region(page, 'Pages').locator('table'))).map((r) => r[0]).sort()).toEqual(['/', '/blog', '/pricing']);
    await expectList(page, 'Pages', { date_range: '7d', metrics: ['visitors', 'visits'], dimensions: ['visit:entry_page'] }, String, ['num', 'num']);

    // Build a funnel in the page: a page view of /pricing, then a signup.
    const funnel = region(page, 'Funnel');
    const step = (n: number) => funnel.getByRole('group', { name: `Step ${n}` });
    await step(1).getByLabel('Kind').selectOption('pageview');
    await step(1).getByLabel('Page path (empty: any page)').fill('/pricing');
    await step(2).getByLabel('Kind').selectOption('event');
    await step(2).getByLabel('Event name').fill('signup');
    await funnel.getByRole('button', { name: 'Show funnel' }).click();
    await panelsReady(page);
    const f = await api(h, '/api/v1/funnel', { site_id: 'demo', date_range: '7d', steps: [{ event: 'pageview', page: '/pricing' }, { event: 'signup' }] });
    expect(f.steps.map((s: any) => s.visitors)).toEqual([3, 2]);
    await expect.poll(() => rows(funnel.locator('table'))).toEqual([
      ['1. Page view of /pricing', fmt.num(f.steps[0].visitors), fmt.pct(f.steps[0].conversion_rate), '–', '–'],
      ['2. signup', fmt.num(f.steps[1].visitors), fmt.pct(f.steps[1].conversion_rate), fmt.pct(f.steps[1].step_conversion_rate), fmt.num(f.steps[1].dropoff)],
    ]);
    // The funnel is part of the URL too.
    expect(JSON.parse(new URL(page.url()).searchParams.get('funnel')!)).toEqual([{ event: 'pageview', page: '/pricing' }, { event: 'signup' }]);
    await page.context().close();
  });
});

describe('filters', () => {
  it('activating a row filters every panel that can be filtered, shows a removable filter, and survives a reload from the URL', async () => {
    const page = await open('/dashboard/?site=demo&range=7d');
    await signIn(page);
    await panelsReady(page);
    const all = await api(h, '/api/v1/query', { site_id: 'demo', metrics: ['visitors'], date_range: '7d' });
    await region(page, 'Sources').getByRole('button', { name: 'Google (filter by this source)' }).click();
    const chip = page.getByRole('button', { name: 'Source is Google (remove filter)' });
    await chip.waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toContain('Source is Google');
    expect(new URL(page.url()).searchParams.getAll('f')).toEqual(['is,visit:source,Google']);

    const filters = [['is', 'visit:source', ['Google']]];
    const check = async () => {
      await panelsReady(page);
      await expectTopStats(page, { date_range: '7d', filters });
      expect(await statValue(page, 'visitors')).not.toBe(fmt.num(all.results[0].metrics[0]));
      await expectList(page, 'Sources', { date_range: '7d', metrics: ['visitors', 'visits'], dimensions: ['visit:source'], filters }, String, ['num', 'num']);
      await expectList(page, 'Pages', { date_range: '7d', metrics: ['visitors', 'pageviews'], dimensions: ['event:page'], filters: [['is', 'event:name', ['pageview']], ...filters] }, String, ['num', 'num']);
      await expectList(page, 'Countries', { date_range: '7d', metrics: ['visitors', 'visits'], dimensions: ['visit:country'], filters }, (v) => new Intl.DisplayNames('en-US', { type: 'region' }).of(String(v))!, ['num', 'num']);
      await expectList(page, 'Devices', { date_range: '7d', metrics: ['visitors', 'visits'], dimensions: ['visit:device'], filters }, String, ['num', 'num']);
      const goals = await api(h, '/api/v1/query', { site_id: 'demo', date_range: '7d', metrics: ['visitors', 'events', 'conversion_rate', 'total_revenue'], dimensions: ['event:goal'], filters, limit: 10 });
      expect((await rows(region(page, 'Goals').locator('table'))).map((r) => r.slice(0, 4))).toEqual(
        goals.results.map((x: any) => ['Sign-up', fmt.num(x.metrics[0]), fmt.num(x.metrics[1]), fmt.pct(x.metrics[2])]),
      );
      // The chart's numbers (its data table) are the filtered series.
      const series = await api(h, '/api/v1/query', { site_id: 'demo', date_range: '7d', metrics: ['visitors'], dimensions: ['time:day'], filters });
      const table = await rows(region(page, 'Visitors over time').locator('details table'));
      expect(table.reduce((a, r) => a + Number(r[1]), 0)).toBe(series.results.reduce((a: number, r: any) => a + r.metrics[0], 0));
      // Identity: the tiers over time follow the filter; the totals are the journey's (whole site, as its note says).
      const tiers = await api(h, '/api/v1/query', { site_id: 'demo', date_range: '7d', metrics: ['visitors'], dimensions: ['time:day', 'user:type'], filters });
      const anonymous = tiers.results.filter((r: any) => r.dimensions[1] === 'anonymous').reduce((a: number, r: any) => a + r.metrics[0], 0);
      const identityTable = await rows(region(page, 'Identity').locator('details table'));
      expect(identityTable.reduce((a, r) => a + Number(r[1]), 0)).toBe(anonymous);
      const journey = await api(h, '/api/v1/journey', { site_id: 'demo', date_range: '7d' });
      expect(await region(page, 'Identity').locator('.stat', { hasText: 'Anonymous' }).locator('.stat-value').textContent()).toBe(fmt.num(journey.identity.anonymous));
      expect(await region(page, 'Identity').locator('.panel-note').first().textContent()).toMatch(/whole site.*chart follows the filters/);
      // Panels whose API takes no filters say so, rather than showing unfiltered numbers as if they were filtered.
      for (const name of ['Funnel', 'Consent', 'Journey']) expect(await region(page, name).locator('.panel-note').first().textContent()).toMatch(/filters.*do not apply/);
    };
    await check();
    await page.reload();
    await chip.waitFor();
    await check();

    await chip.click();
    await panelsReady(page);
    expect(await page.getByRole('button', { name: /remove filter/ }).count()).toBe(0);
    expect(new URL(page.url()).searchParams.getAll('f')).toEqual([]);
    await expectTopStats(page, { date_range: '7d' });
    // Back restores the filter: the URL is the state.
    await page.goBack();
    await chip.waitFor();
    await page.context().close();
  });
});

describe('Export CSV', () => {
  it('downloads the whole list as CSV, raw values as the API answers them', async () => {
    const page = await open('/dashboard/?site=demo&range=7d');
    await signIn(page);
    await panelsReady(page);
    const [download] = await Promise.all([page.waitForEvent('download'), region(page, 'Pages').getByRole('button', { name: 'Export CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('demo-pages-event-page-7d.csv');
    const csv = readFileSync((await download.path())!, 'utf8');
    const r = await api(h, '/api/v1/query', { site_id: 'demo', date_range: '7d', metrics: ['visitors', 'pageviews'], dimensions: ['event:page'], filters: [['is', 'event:name', ['pageview']]], limit: 1000 });
    expect(csv).toBe(['event:page,visitors,pageviews', ...r.results.map((x: any) => [x.dimensions[0], ...x.metrics].join(','))].join('\r\n') + '\r\n');
    expect(csv.split('\r\n').slice(1, -1).sort()).toEqual(['/,3,3', '/about,1,1', '/blog,1,1', '/pricing,3,3']);
    await page.context().close();
  });
});

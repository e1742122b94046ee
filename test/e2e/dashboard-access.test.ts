import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/browser';
import { AXE_SOURCE, panelsReady, seedVisit, signIn, waitVisitors } from '../support/dashboard';

// The dashboard for everyone and every key: keyboard only, an axe-core scan, a key scoped to one site, and a panel whose
// API hangs while the others fill in.
let h: Harness;
const pageErrors: string[] = [];

beforeAll(async () => {
  h = await startHarness(8842);
  await seedVisit(h, { pages: ['/', '/pricing'], events: ['signup'], referrer: 'https://www.google.com/', ago: 20 });
  await seedVisit(h, { pages: ['/about'], ago: 40 });
  await waitVisitors(h, 2);
});
afterAll(async () => {
  await h?.stop();
});
afterEach(() => {
  expect(pageErrors).toEqual([]);
  pageErrors.length = 0;
});

async function open(p = '/dashboard/?site=demo&range=7d'): Promise<Page> {
  const context = await h.browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(`console: ${m.text()}`);
  });
  await page.goto(`${h.url}${p}`);
  return page;
}

const active = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    const style = el ? getComputedStyle(el) : null;
    return { tag: el?.tagName, text: el?.textContent?.trim() ?? '', cls: el?.className ?? '', panel: el?.closest('section')?.getAttribute('data-panel') ?? null, outline: style ? `${style.outlineStyle} ${style.outlineWidth}` : '' };
  });

/** Presses Tab until the focused element matches, at most `max` times; returns how many presses it took. */
async function tabTo(page: Page, match: (a: Awaited<ReturnType<typeof active>>) => boolean, max = 120): Promise<number> {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press('Tab');
    if (match(await active(page))) return i;
  }
  throw new Error(`not reached with ${max} presses of Tab; focus is on ${JSON.stringify(await active(page))}`);
}

describe('keyboard only', () => {
  it('signs in, filters from a list row, removes the filter and signs out without a pointer, focus always visible', async () => {
    const page = await open();
    // The key field has focus on arrival.
    await page.getByLabel('API key').waitFor();
    expect((await active(page)).tag).toBe('INPUT');
    await page.keyboard.type('dev-admin-key');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await panelsReady(page);

    // To the first row of Sources, and activate it.
    await tabTo(page, (a) => a.panel === 'sources' && a.cls === 'label');
    expect((await active(page)).outline).toMatch(/^solid [1-9]/);
    await page.keyboard.press('Enter');
    // Focus lands on the new filter, which Enter removes again.
    await expect.poll(async () => (await active(page)).text).toMatch(/^Source is .* \(remove filter\)$/);
    expect((await active(page)).outline).toMatch(/^solid [1-9]/);
    expect(new URL(page.url()).searchParams.getAll('f')).toHaveLength(1);
    await panelsReady(page);
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).searchParams.getAll('f')).toEqual([]);
    await panelsReady(page);

    // A tab of a list, by keyboard.
    await tabTo(page, (a) => a.panel === 'devices' && a.text === 'Browsers');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('region', { name: 'Devices' }).getByRole('columnheader', { name: 'Browser' }).count()).toBe(1);

    // And out.
    await tabTo(page, (a) => a.text === 'Sign out', 400);
    await page.keyboard.press('Enter');
    await page.getByLabel('API key').waitFor();
    await page.context().close();
  });
});

describe('axe-core', () => {
  it('the signed-in dashboard has no serious or critical violations', async () => {
    const page = await open();
    await signIn(page);
    await panelsReady(page);
    // Open what is collapsed, so that it is scanned too.
    await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
    await page.evaluate(AXE_SOURCE);
    const { violations, rulesPassed } = await page.evaluate(async () => {
      const r = await (window as any).axe.run(document);
      return { rulesPassed: r.passes.length, violations: r.violations.map((v: any) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n: any) => n.target.join(' ')).slice(0, 5) })) };
    });
    expect(rulesPassed).toBeGreaterThan(20); // the scan ran (colour contrast, names, landmarks, tables…)
    expect(violations.filter((v: any) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    // The regions the contract names, by their accessible names.
    for (const name of ['Top stats', 'Visitors over time', 'Sources', 'Pages', 'Countries', 'Devices', 'Goals', 'Funnel', 'Consent', 'Identity', 'Journey', 'Current visitors']) {
      expect(await page.getByRole('region', { name, exact: true }).count(), name).toBe(1);
    }
    expect(await page.getByRole('combobox', { name: 'Site' }).count()).toBe(1);
    expect(await page.getByRole('combobox', { name: 'Date range' }).count()).toBe(1);
    // The sign-in page too.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    const signInViolations = await page.evaluate(async () => (await (window as any).axe.run(document)).violations.filter((v: any) => v.impact === 'serious' || v.impact === 'critical').map((v: any) => v.id));
    expect(signInViolations).toEqual([]);
    await page.context().close();
  });
});

describe('a key scoped to one site', () => {
  it('offers only its sites, and the API refuses the others for its session', async () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const made = spawnSync(process.execPath, ['scripts/key.mjs', 'create', '--site', 'demo-cookieless', '--name', 'dashboard e2e', '--persist-to', h.persistTo], { cwd: root, encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const key = /\n\s+(tp_\S+)\n/.exec(made.stdout)![1]!;
    // A link to the other site falls back to the one this key may read.
    const page = await open('/dashboard/?site=demo&range=7d');
    await signIn(page, key);
    await panelsReady(page);
    const options = await page.getByRole('combobox', { name: 'Site' }).locator('option').allTextContents();
    expect(options).toEqual(['Touchpoint demo shop (cookieless mode, unverified identities)']);
    expect(new URL(page.url()).searchParams.get('site')).toBe('demo-cookieless');
    const status = await page.evaluate(async () =>
      (await fetch('/api/v1/query', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ site_id: 'demo', metrics: ['visitors'], date_range: '7d' }) })).status,
    );
    expect(status).toBe(403);
    await page.context().close();
  });
});

describe('panels load independently', () => {
  it('a panel whose API hangs stays busy while every other panel fills in; a failing one shows an error with a retry', async () => {
    const page = await open();
    await page.route('**/api/v1/funnel', () => {}); // never answered
    await page.route('**/api/v1/consent?*', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":{"code":"internal","message":"internal error"}}' }));
    await signIn(page);
    await page.waitForFunction(() => [...document.querySelectorAll('section[aria-busy]')].filter((s) => s.getAttribute('aria-busy') === 'true').map((s) => s.getAttribute('data-panel')).join() === 'funnel');
    const consent = page.getByRole('region', { name: 'Consent' });
    expect(await consent.getByRole('alert').textContent()).toContain("Couldn't load consent statistics");
    await page.unroute('**/api/v1/consent?*');
    await consent.getByRole('button', { name: 'Retry' }).click();
    await consent.getByRole('table', { name: 'Grant rate per category' }).waitFor();
    await page.context().close();
  });
});

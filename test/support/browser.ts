import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Request, type Response } from 'playwright-core';
// @ts-expect-error — plain ESM helper shared with npm start and the benchmarks
import { startCollector } from '../../scripts/collector.mjs';

/** A desktop Chrome UA: headless Chromium's own says "HeadlessChrome", which the collector drops as a bot. */
export const DESKTOP_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

export interface Harness {
  url: string;
  browser: Browser;
  /** The collector's local storage (D1, R2, queues): for `scripts/key.mjs --persist-to`. */
  persistTo: string;
  /** Events the collector refused from a page's batches ("rejected" in a /v1/e answer): the snippet's payloads and the worker's validator disagree. */
  rejected: unknown[];
  stop(): Promise<void>;
}

/** Starts the local collector (fresh storage) and real Chromium. */
export async function startHarness(port: number): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tp-e2e-'));
  const collector: { url: string; stop(): Promise<void> } = await startCollector({ port, persistTo: path.join(dir, 'state') });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    // The UA flag as well as the context option: keepalive requests that outlive a page (pagehide)
    // are sent by the browser process, which does not see the per-page override.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', `--user-agent=${DESKTOP_UA}`],
  });
  const rejected: unknown[] = [];
  return {
    url: collector.url,
    browser,
    persistTo: path.join(dir, 'state'),
    rejected,
    async stop() {
      await browser.close().catch(() => {});
      await collector.stop();
      rmSync(dir, { recursive: true, force: true });
      // The contract between snippet and collector, checked on every batch real pages sent in the file's tests.
      if (rejected.length) throw new Error(`the collector rejected events the snippet built: ${JSON.stringify(rejected).slice(0, 2000)}`);
    },
  };
}

export interface Captured {
  path: string;
  body: string;
  json: any;
}

/** A fresh context (own storage) that records every request to the collector's ingest endpoints. */
export async function newPage(h: Harness, opts: Parameters<Browser['newContext']>[0] = {}): Promise<{ page: Page; context: BrowserContext; sent: Captured[] }> {
  const context = await h.browser.newContext({ userAgent: DESKTOP_UA, ...opts });
  const page = await context.newPage();
  const sent: Captured[] = [];
  const record = (req: Request) => {
    const u = new URL(req.url());
    if (req.method() !== 'POST' || !u.pathname.startsWith('/v1/')) return;
    const body = req.postData() ?? '';
    let json: unknown = null;
    try {
      json = JSON.parse(body);
    } catch {
      /* keep raw */
    }
    sent.push({ path: u.pathname, body, json });
  };
  context.on('request', record);
  // Every answer to a page's event batch must accept all of its valid-by-construction events.
  context.on('response', async (res: Response) => {
    if (res.request().method() !== 'POST' || new URL(res.url()).pathname !== '/v1/e') return;
    const answer = (await res.json().catch(() => null)) as { rejected?: unknown[] } | null;
    if (answer?.rejected?.length) h.rejected.push(...answer.rejected.map((r) => ({ ...(r as object), page: page.url() })));
  });
  return { page, context, sent };
}

/** Every event the page sent to /v1/e. */
export const sentEvents = (sent: Captured[]) => sent.filter((r) => r.path === '/v1/e').flatMap((r) => r.json?.e ?? []);

/** Raw export through the collector's API, as a downstream system would read it. */
export async function storedEvents(h: Harness, site = 'demo'): Promise<any[]> {
  const out: any[] = [];
  let cursor = '0';
  for (;;) {
    const res = await fetch(`${h.url}/api/v1/events?site_id=${site}&limit=1000&cursor=${cursor}`, { headers: { authorization: 'Bearer dev-admin-key' } });
    if (!res.ok) throw new Error(`export ${res.status}: ${await res.text()}`);
    const page = (await res.json()) as { events: any[]; next_cursor: string | null };
    out.push(...page.events);
    if (!page.next_cursor) return out;
    cursor = page.next_cursor;
  }
}

/** Polls the export until `predicate` holds (the queue consumer batches for ~1 s). */
export async function waitStored(h: Harness, predicate: (rows: any[]) => boolean, site = 'demo', timeoutMs = 10_000): Promise<any[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const rows = await storedEvents(h, site);
    if (predicate(rows) || Date.now() > end) return rows;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The preferences dialog (loaded on first open, inside the banner's shadow root). */
export const dialog = (page: Page) => page.getByRole('dialog', { name: 'Privacy preferences' });

/** Clicks the banner's "Accept all" and waits until the decision's receipt was answered. */
export async function acceptAll(page: Page): Promise<void> {
  const answered = page.waitForResponse((r) => r.url().endsWith('/v1/consent'));
  await page.getByRole('button', { name: 'Accept all' }).click();
  await answered;
  // The snippet reads the answer's body, then stores the token and drops the pending receipt: a test that reads the token
  // right after the response (to send a hand-written batch) must wait for that.
  await page.waitForFunction(() => !JSON.parse(localStorage.getItem('tp_consent') ?? '{}').p);
}

/** Everything the page has stored on the device: localStorage keys and IndexedDB databases. */
export async function deviceStorage(page: Page): Promise<{ local: string[]; idb: string[] }> {
  return page.evaluate(async () => ({
    local: Object.keys(localStorage).sort(),
    idb: (await indexedDB.databases()).map((d) => d.name ?? ''),
  }));
}

/**
 * Serves `html` at `url` from inside the browser (a fixture page). Use a URL on the collector's
 * origin: Chromium's local-network checks refuse a fulfilled page on another origin loading from 127.0.0.1.
 */
export async function servePage(context: BrowserContext, url: string, html: string): Promise<void> {
  await context.route(url, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: html }));
}

/** `tp.flush()` in the page: resolves once everything queued was delivered or persisted. */
export const flush = (page: Page): Promise<void> => page.evaluate(() => (window as any).tp.flush());

/** The page's anonymous id (after analytics consent). */
export const anonOf = (page: Page): Promise<string> => page.evaluate(() => JSON.parse(localStorage.getItem('tp_anon')!).a as string);

import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from 'cloudflare:test';
import type { WireConsent, WireEvent } from '../../shared/wire';
import { handleQueue } from '../src/pipeline/consume';
import type { EnrichedEvent, EventsMessage, QueueMessage } from '../src/storage/messages';

export const ORIGIN = 'http://127.0.0.1:8787';
export const BROWSER_UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

let n = 0;
/** A fresh id matching the wire format. */
export const id = (prefix = 'id'): string => `${prefix}-${Date.now().toString(36)}-${(n++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

export const event = (over: Partial<WireEvent> = {}): WireEvent => ({
  i: id('ev'),
  n: 'pageview',
  c: 'analytics',
  ts: Date.now(),
  u: 'https://shop.example/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=nov',
  ...over,
});

export function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`http://collector.test${path}`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8', origin: ORIGIN, 'user-agent': BROWSER_UA, 'cf-connecting-ip': '203.0.113.9', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Records a decision through the public endpoint and returns the signed token. */
export async function consentToken(g: Record<string, boolean>, over: Partial<WireConsent> = {}, headers: Record<string, string> = {}): Promise<string> {
  const res = await post('/v1/consent', consentBody(g, over), headers);
  if (res.status !== 200) throw new Error(`consent ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** The browser's consent secret: what the snippet keeps as its consent id (the collector shows only its hash). */
export const consentSecret = (): string => crypto.randomUUID();
/** A browser secret (256 random bits, hex), as the snippet makes one. */
export const browserSecret = (): string => [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, '0')).join('');

export const consentBody = (g: Record<string, boolean>, over: Partial<WireConsent> = {}): WireConsent => ({
  s: 'demo',
  id: consentSecret(),
  ri: id('receipt'),
  g,
  v: '2026-11-01',
  m: 'banner',
  ts: Date.now(),
  ...over,
});

/** Polls D1 until `sql` returns at least `count` rows (the queue consumer runs after ~1 s). */
export async function waitForRows<T = Record<string, unknown>>(sql: string, binds: unknown[], count: number, timeoutMs = 8000): Promise<T[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { results } = await env.DB.prepare(sql).bind(...binds).all<T>();
    if (results.length >= count || Date.now() > end) return results;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const eventsOf = (anonOrUrl: { anon?: string; ids?: string[] }) =>
  anonOrUrl.ids
    ? waitForRows(`SELECT * FROM events WHERE id IN (${anonOrUrl.ids.map(() => '?').join(',')})`, anonOrUrl.ids, anonOrUrl.ids.length)
    : waitForRows('SELECT * FROM events WHERE anon_id = ?', [anonOrUrl.anon], 1);

/** Waits for the queue to go quiet, then returns the rows for ids (for asserting absence). */
export async function settle(ms = 2500): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** A browser that decided through the public endpoint: its anonymous id and secret (when analytics is granted), consent secret and token. */
export async function consentedBrowser(g: Record<string, boolean> = { analytics: true, marketing: false, personalization: false }, site = 'demo') {
  const a = g.analytics ? id('anon') : undefined;
  const k = g.analytics ? browserSecret() : undefined;
  const body = consentBody(g, { s: site, ...(a && { a, k }) });
  const res = await post('/v1/consent', body);
  if (res.status !== 200) throw new Error(`consent ${res.status}: ${await res.text()}`);
  const t = ((await res.json()) as { token: string }).token;
  return { a: a!, k: k!, t, consentSecret: body.id, site };
}

/** The claims inside a consent token (readable by anyone who sees the token). */
export const claimsOf = (token: string): { c: string; r?: string; g: string[] } =>
  JSON.parse(atob(token.split('.')[0]!.replace(/-/g, '+').replace(/_/g, '/')));

/** Statements inserting rows as given (each key of the first row a column of `table`): the fixed data of a known-answer test. */
export function insertRows(rows: object[], table = 'events'): D1PreparedStatement[] {
  const cols = Object.keys(rows[0] ?? {});
  const sql = `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((_, i) => `?${i + 1}`).join(', ')})`;
  return rows.map((r) => env.DB.prepare(sql).bind(...cols.map((c) => (r as Record<string, unknown>)[c])));
}

/** POST /api/v1/query for site `demo` over `date_range` with an API key: the status and the parsed answer. */
export async function queryApi(body: Record<string, unknown>, date_range: unknown, key = 'dev-admin-key') {
  const res = await SELF.fetch('http://collector.test/api/v1/query', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ site_id: 'demo', date_range, ...body }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** Queue messages through the real consumer, delivered once: the batch (to deliver again) and what it acked or retried. */
export async function consume(bodies: QueueMessage[]) {
  const batch = createMessageBatch<QueueMessage>('tp-events', bodies.map((body) => ({ id: id('m'), timestamp: new Date(), attempts: 1, body })));
  await handleQueue(batch, env);
  return { batch, result: await getQueueResult(batch, createExecutionContext()) };
}

/**
 * An events message for site demo as ingest enqueues it: one consented desktop browser (`anon`, `session`) in DE, and its
 * events — page views of "/" on shop.example unless `events` say otherwise (each needs its time).
 */
export function eventsMessage(
  anon: string,
  session: string,
  events: (Partial<EnrichedEvent> & { ts: number })[],
  over: { received_at?: number; ctx?: Partial<EventsMessage['ctx']> } = {},
): EventsMessage {
  return {
    k: 'ev',
    site: 'demo',
    received_at: over.received_at ?? Date.now(),
    ctx: {
      anon_id: anon, user_id: null, session_id: session, visitor_hash: null, country: 'DE', region: null, city: null, timezone: null,
      browser: 'Chrome', os: 'Linux', device: 'desktop', bot: 0, cookieless: 0, consent: 'analytics', ...over.ctx,
    },
    counts: {},
    events: events.map((e) => ({
      id: id('ev'), name: 'pageview', custom: 0, category: 'analytics', url: `https://shop.example${e.path ?? '/'}`, path: '/', referrer: null,
      ref_host: null, source: null, medium: null, utm_source: null, utm_medium: null, utm_campaign: null, utm_term: null, utm_content: null,
      click_id: null, pageview_id: null, props: null, sent_from: 'browser', revenue: null, currency: null, ...e,
    })),
  };
}

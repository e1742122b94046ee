import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
// @ts-expect-error — plain ESM helper shared with npm start, the browser tests and the benchmarks
import { startCollector } from '../../scripts/collector.mjs';

/** The local collector on its own port with fresh storage, as the browser tests start it. */
export async function startFresh(port: number): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tp-server-'));
  const collector: { url: string; stop(): Promise<void> } = await startCollector({ port, persistTo: path.join(dir, 'state') });
  return {
    url: collector.url,
    async stop() {
      await collector.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
let n = 0;
export const uid = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${(n++).toString(36)}-${randomBytes(3).toString('hex')}`;

/**
 * A browser as the snippet is one, over HTTP: a consent decision that creates its anonymous id (bound to its browser
 * secret), page views through `/v1/e`, and `tp.identify` through `/v1/identify` with the site back end's identity token.
 */
export async function browser(base: string, g: Record<string, boolean> = { analytics: true, marketing: false, personalization: false }) {
  const origin = base;
  const post = (p: string, body: unknown) =>
    fetch(`${base}${p}`, { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8', origin, 'user-agent': UA }, body: JSON.stringify(body) });
  const a = uid('anon');
  const k = randomBytes(32).toString('hex');
  const consent = await post('/v1/consent', { s: 'demo', id: randomUUID(), ri: uid('receipt'), g, v: '2026-11-01', m: 'banner', ts: Date.now(), a, k });
  if (consent.status !== 200) throw new Error(`consent ${consent.status}: ${await consent.text()}`);
  const { token: t } = (await consent.json()) as { token: string };
  return {
    a,
    async pageviews(paths: string[]): Promise<string[]> {
      const e = paths.map((p) => ({ i: uid('ev'), n: 'pageview', c: 'analytics', ts: Date.now(), u: `https://shop.example${p}` }));
      const res = await post('/v1/e', { s: 'demo', t, a, ss: uid('sess'), e });
      if (res.status !== 202) throw new Error(`events ${res.status}: ${await res.text()}`);
      return e.map((x) => x.i);
    },
    async identify(u: string): Promise<void> {
      const token = createHmac('sha256', 'dev-identity-secret').update(u).digest('hex');
      const res = await post('/v1/identify', { s: 'demo', a, k, u, t, token });
      if (res.status !== 200) throw new Error(`identify ${res.status}: ${await res.text()}`);
    },
  };
}

export type Row = Record<string, unknown> & { id: string; name: string; anon_id: string | null; user_id: string | null; sent_from: string };

/** Every stored event of the demo site, through the export API (what a downstream system reads). */
export async function exported(base: string): Promise<Row[]> {
  const rows: Row[] = [];
  let cursor = '0';
  for (;;) {
    const res = await fetch(`${base}/api/v1/events?site_id=demo&limit=1000&cursor=${cursor}`, { headers: { authorization: 'Bearer dev-admin-key' } });
    const page = (await res.json()) as { events: Row[]; next_cursor: string | null };
    rows.push(...page.events);
    if (!page.next_cursor) return rows;
    cursor = page.next_cursor;
  }
}

/** Polls the export until `ready` holds for the rows (the queue consumer stores within a second or two). */
export async function waitFor(base: string, ready: (rows: Row[]) => boolean, timeoutMs = 15_000): Promise<Row[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const rows = await exported(base);
    if (ready(rows) || Date.now() > end) return rows;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A proxy in front of the collector that forwards every request but answers the first `failures` with a 503, as a
 * network that lost the collector's answer would: the client retries a batch the collector already took.
 */
export async function flakyProxy(target: string, failures: number): Promise<{ url: string; requests: number; close(): Promise<void> }> {
  const t = new URL(target);
  const state = { requests: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = state.requests++;
      const fwd = httpRequest({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        const body: Buffer[] = [];
        answer.on('data', (c: Buffer) => body.push(c));
        answer.on('end', () => {
          if (n < failures) {
            res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"code":"unavailable","message":"lost"}}');
          } else {
            res.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(body));
          }
        });
      });
      fwd.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

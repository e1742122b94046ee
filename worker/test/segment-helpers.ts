import { env, SELF } from 'cloudflare:test';
import { sha256Hex } from '../src/crypto/hmac';
import { id } from './helpers';

/** What a Segment library sends: `Authorization: Basic base64("<write key>:")`. */
export const basic = (key: string): string => `Basic ${btoa(`${key}:`)}`;

/** A Segment call to the collector (no Origin: a server sends none), with the dev write key unless told otherwise. */
export function segment(path: string, body: unknown, { key = 'dev-write-key', headers = {} }: { key?: string | null; headers?: Record<string, string> } = {}): Promise<Response> {
  return SELF.fetch(`http://collector.test${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: basic(key) } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** What `npm run key -- create --site <site> --write [--browser]` does: a random key, only its hash stored. */
export async function createWriteKey(site = 'demo', kind: 'server' | 'browser' = 'server', revoked = false): Promise<string> {
  const key = `tpw_${crypto.randomUUID().replaceAll('-', '')}`;
  await env.DB.prepare('INSERT INTO write_keys (key_hash, prefix, name, site_id, kind, created_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)')
    .bind(await sha256Hex(key), key.slice(0, 10), 'test', site, kind, Date.now(), revoked ? Date.now() : null)
    .run();
  return key;
}

/** A Segment call as analytics-node builds one. */
export const call = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'track',
  event: 'Order Completed',
  messageId: id('msg'),
  timestamp: new Date().toISOString(),
  properties: {},
  ...over,
});

export interface Answer {
  success: boolean;
  accepted: number;
  dropped: number;
  dropped_reasons: Record<string, number>;
  rejected: { index: number; code: string; message: string; field?: string }[];
  left_out?: { index: number; keys: string[] }[];
  error?: { code: string; message: string; field?: string };
}

/** Posts a batch and returns its answer, asserting the status. */
export async function batch(calls: unknown[], opts: Parameters<typeof segment>[2] & { status?: number; extra?: Record<string, unknown> } = {}): Promise<Answer> {
  const res = await segment('/segment/v1/batch', { batch: calls, sentAt: new Date().toISOString(), ...opts.extra }, opts);
  const body = (await res.json()) as Answer;
  if (res.status !== (opts.status ?? 200)) throw new Error(`batch answered ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

export const count = async (sql: string, ...binds: unknown[]): Promise<number> => (await env.DB.prepare(sql).bind(...binds).first<{ n: number }>())!.n;

/** The stored rows of server calls (ids `s:<messageId>`), waiting for the consumer. */
export async function storedCalls(messageIds: string[], timeoutMs = 8000): Promise<Record<string, unknown>[]> {
  const ids = messageIds.map((m) => `s:${m}`);
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { results } = await env.DB.prepare('SELECT * FROM events WHERE id IN (SELECT value FROM json_each(?1))').bind(JSON.stringify(ids)).all();
    if (results.length >= ids.length || Date.now() > end) return results;
    await new Promise((r) => setTimeout(r, 100));
  }
}

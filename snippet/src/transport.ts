import { BODY_BYTES } from '../../shared/limits';
import { PATH, type WireBatch, type WireEvent } from '../../shared/wire';
import { post, uuid } from './util';

/** A frozen batch: identifiers as they were when its events were captured. The token is added at send time. */
export type Batch = Omit<WireBatch, 't'>;
export type Envelope = Omit<Batch, 'e'>;

/*
 * Batching and delivery: nothing lost, nothing twice. Events carry client ids; the collector
 * ignores an id it has. Batches with identifiers are written to IndexedDB before they are sent
 * and removed once the collector has answered, so a batch still in flight at `pagehide`, or one
 * that failed (offline, 5xx, 429), is sent again on the next page load. Cookieless batches are
 * never persisted: without consent nothing is stored on the device. The outbox is one IndexedDB
 * record (batch key → batch), changed with read-modify-write transactions, so two tabs never lose
 * each other's batches.
 */
type Outbox = Record<string, Batch>;
let url = '';
let envelope: () => Envelope;
let token: () => Promise<string | undefined>;
/** the outbox database, once this page opened it */
let db: Promise<IDBDatabase> | undefined;
let buf: WireEvent[] = [];
let timer = 0;
let retryTimer = 0;
let backoff = 1e3;
const inflight = new Set<Promise<unknown>>();
/** An IndexedDB request or transaction as a promise. */
const done = <T>(r: IDBRequest<T> | IDBTransaction): Promise<T> =>
  new Promise((ok, no) => {
    (r as IDBRequest).onsuccess = (r as IDBTransaction).oncomplete = () => ok((r as IDBRequest).result);
    r.onerror = (r as IDBTransaction).onabort = () => no(r.error);
  });

/**
 * Read-modify-write of the outbox record (database `touchpoint`, store `outbox`, key `o`) in one
 * transaction, so two tabs never lose each other's batches. The write happens in the read's success
 * handler, while the transaction is still active.
 */
function change(fn: (o: Outbox) => Outbox): Promise<unknown> {
  if (!db) {
    const r = indexedDB.open('touchpoint');
    r.onupgradeneeded = () => r.result.createObjectStore('outbox');
    db = done(r);
  }
  return db.then((d) => {
    const s = d.transaction('outbox', 'readwrite').objectStore('outbox');
    const g = s.get('o');
    g.onsuccess = () => s.put(fn(g.result ?? {}), 'o');
    return done(s.transaction);
  });
}

export function initTransport(api: string, env: () => Envelope, tok: () => Promise<string | undefined>): void {
  url = api + PATH.events;
  envelope = env;
  token = tok;
}

/** Posts a batch; once the collector has it, removes it from the outbox (after `saved`, its write). */
async function send(key: string | null, b: Batch, saved?: Promise<unknown>): Promise<void> {
  const t = await token();
  const body = JSON.stringify(t ? { ...b, t } : b);
  try {
    const r = await post(url, body, body.length < BODY_BYTES);
    if (r.status >= 500 || r.status == 429 || r.status == 408) throw 0;
    // 2xx done; any other 4xx would fail forever: drop.
    if (key) {
      await saved;
      await change((o) => (delete o[key], o));
    }
    backoff = 1e3;
  } catch {
    // Settled only once the batch is safe in the outbox (tp.flush() promises "delivered or persisted").
    await saved;
    if (key && !retryTimer) {
      retryTimer = setTimeout(() => ((retryTimer = 0), resend()), backoff) as unknown as number;
      backoff = Math.min(backoff * 2, 6e4);
    }
  }
}

const track = (p: Promise<unknown>): void => {
  inflight.add(p);
  void p.finally(() => inflight.delete(p));
};

export function push(e: WireEvent): void {
  buf.push(e);
  if (buf.length >= 20) flush();
  else timer ||= setTimeout(flush, 2e3) as unknown as number;
}

/**
 * Sends what is buffered now. Identified batches are also written to the outbox — in parallel, not
 * first: at `pagehide` the keepalive request must start before the page is gone.
 */
export function flush(): void {
  clearTimeout(timer);
  timer = 0;
  if (!buf.length) return;
  const b: Batch = { ...envelope(), e: buf };
  buf = [];
  const key = b.a ? uuid() : null;
  track(send(key, b, key ? change((o) => ((o[key] = b), o)).catch(() => {}) : undefined));
}

/** Sends every batch left in the outbox by an earlier page or a failed attempt. */
export async function resend(): Promise<void> {
  try {
    // Read through change (one read-write transaction).
    let o: Outbox = {};
    await change((x) => (o = x));
    for (const [k, b] of Object.entries(o)) track(send(k, b));
  } catch {
    /* IndexedDB unavailable */
  }
}

/** Resolves when everything queued so far was delivered or persisted for retry. */
export async function settle(): Promise<void> {
  flush();
  while (inflight.size) await Promise.allSettled([...inflight]);
}

/** Withdrawal: forget buffered events it no longer allows, and every persisted batch. */
export async function purge(keep: (e: WireEvent) => boolean): Promise<void> {
  buf = buf.filter(keep);
  // Only an outbox this page opened can hold anything: any batch an earlier page left was
  // re-sent and opened it at start. Never create the outbox just to empty it.
  if (db) await change(() => ({})).catch(() => {});
}

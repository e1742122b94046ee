import { createStore, del, entries, set, clear, type UseStore } from 'idb-keyval';
import { BODY_BYTES } from '../../shared/limits';
import type { WireBatch, WireEvent } from '../../shared/wire';
import { uuid } from './util';

/** A frozen batch: identifiers as they were when its events were captured. The token is added at send time. */
type Batch = Omit<WireBatch, 't'>;

const MAX_BATCH = 20;
const FLUSH_MS = 2000;

/**
 * Batching and delivery: nothing lost, nothing twice. Events carry client ids; the collector
 * ignores an id it has. Batches with identifiers are written to IndexedDB before they are sent
 * and removed once the collector has answered, so a batch still in flight at `pagehide`, or one
 * that failed (offline, 5xx, 429), is sent again on the next page load. Cookieless batches are
 * never persisted: without consent nothing is stored on the device.
 */
export function createTransport(api: string, token: () => Promise<string | undefined>) {
  let store: UseStore | null = null;
  const db = () => (store ??= createStore('touchpoint', 'outbox'));
  let buf: WireEvent[] = [];
  let envelope: () => Omit<Batch, 'e'> = () => ({ s: '' });
  let timer = 0;
  let retryTimer = 0;
  let backoff = 1000;
  const inflight = new Set<Promise<unknown>>();

  async function post(key: string | null, b: Batch): Promise<void> {
    const t = await token();
    const body = JSON.stringify(t ? { ...b, t } : b);
    try {
      const r = await fetch(`${api}/v1/e`, { method: 'POST', body, keepalive: body.length < BODY_BYTES, credentials: 'omit' });
      if (r.status >= 500 || r.status === 429 || r.status === 408) throw 0;
      // 2xx done; other 4xx would fail forever: drop.
      if (key) await del(key, db());
      backoff = 1000;
    } catch {
      if (key) retryLater();
    }
  }

  function retryLater(): void {
    if (retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = 0;
      void resend();
    }, backoff) as unknown as number;
    backoff = Math.min(backoff * 2, 60e3);
  }

  function track(p: Promise<unknown>): Promise<unknown> {
    inflight.add(p);
    return p.finally(() => inflight.delete(p));
  }

  /** Sends what is buffered now. Identified batches are persisted first. */
  function flush(): void {
    clearTimeout(timer);
    timer = 0;
    if (!buf.length) return;
    const b: Batch = { ...envelope(), e: buf };
    buf = [];
    const key = b.a ? uuid() : null;
    void track((key ? set(key, b, db()).catch(() => {}) : Promise.resolve()).then(() => post(key, b)));
  }

  /** Only opens IndexedDB if an earlier page created the outbox (no storage before consent). */
  async function hasOutbox(): Promise<boolean> {
    try {
      return (await indexedDB.databases()).some((x) => x.name === 'touchpoint');
    } catch {
      return true;
    }
  }

  /** Sends every batch left in the outbox by an earlier page or a failed attempt. */
  async function resend(): Promise<void> {
    try {
      const list = await entries<string, Batch>(db());
      await Promise.all(list.map(([k, b]) => track(post(k, b))));
    } catch {
      /* IndexedDB unavailable */
    }
  }

  return {
    /** `env` gives the identifiers for the batch being frozen. */
    setEnvelope(env: () => Omit<Batch, 'e'>): void {
      envelope = env;
    },
    push(e: WireEvent): void {
      buf.push(e);
      if (buf.length >= MAX_BATCH) flush();
      else timer ||= setTimeout(flush, FLUSH_MS) as unknown as number;
    },
    flush,
    resend,
    /** Resolves when everything queued so far was delivered or persisted for retry. */
    async settle(): Promise<void> {
      flush();
      while (inflight.size) await Promise.allSettled([...inflight]);
    },
    /** Withdrawal: forget buffered and persisted events. */
    async purge(keep: (e: WireEvent) => boolean): Promise<void> {
      buf = buf.filter(keep);
      try {
        // Never create the outbox just to empty it: withdrawal must not write storage.
        if (store || (await hasOutbox())) await clear(db());
      } catch {
        /* ignore */
      }
    },
    hasOutbox,
  };
}

export type Transport = ReturnType<typeof createTransport>;

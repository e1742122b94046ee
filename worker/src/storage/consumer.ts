import { getSite } from '../config/sites';
import { deliver } from '../destinations/deliver';
import { deliveriesFor } from '../destinations/fan-out';
import { utcDay } from '../enrich/visitor-hash';
import type { Env } from '../env';
import { blockedAnons, tombstoneStatements } from '../privacy/tombstones';
import { archiveEvents } from './archive';
import { insertCounts, insertEvents, insertReceipts, type CountRow } from './events-store';
import { foldVisits } from './visits';
import { toRows, type DeliveryMessage, type EventRow, type EventsMessage, type QueueMessage, type ReceiptMessage } from './messages';

type StoreMessage = Message<EventsMessage | ReceiptMessage>;

/**
 * The queue consumer: every D1 write happens here, a whole batch at a time.
 * Store messages: one D1 batch (a transaction) for all of them; if it fails, each message is
 * retried alone so that one poison message can't hold the others back. Then the raw events go
 * to R2 and deliveries to the queue; only then is a message acked. Every step is idempotent,
 * so a retry after a partial failure stores nothing twice.
 */
export async function handleQueue(batch: MessageBatch<QueueMessage>, env: Env): Promise<void> {
  const store: StoreMessage[] = [];
  const deliveries: Message<DeliveryMessage>[] = [];
  for (const m of batch.messages) {
    const k = (m.body as { k?: unknown } | null)?.k;
    if (k === 'ev' || k === 'rc') store.push(m as StoreMessage);
    else if (k === 'dl') deliveries.push(m as Message<DeliveryMessage>);
    else {
      console.error(JSON.stringify({ level: 'error', msg: 'unknown queue message; dropped', id: m.id }));
      m.ack();
    }
  }
  await Promise.all([storeMessages(store, env), ...deliveries.map((m) => deliver(m, env))]);
}

async function storeMessages(messages: StoreMessage[], env: Env): Promise<void> {
  if (messages.length === 0) return;
  let stored: StoreMessage[];
  let blocked: Set<string>;
  try {
    blocked = await blockedIn(messages, env.DB);
  } catch (err) {
    console.error(JSON.stringify({ level: 'error', msg: 'tombstone lookup failed; retrying batch', error: String(err) }));
    for (const m of messages) m.retry({ delaySeconds: 10 });
    return;
  }
  try {
    await writeD1(messages, env.DB, blocked);
    stored = messages;
  } catch (err) {
    console.error(JSON.stringify({ level: 'error', msg: 'D1 batch write failed; retrying messages one by one', error: String(err), messages: messages.length }));
    stored = [];
    for (const m of messages) {
      try {
        await writeD1([m], env.DB, blocked);
        stored.push(m);
      } catch (e) {
        console.error(JSON.stringify({ level: 'error', msg: 'D1 write failed; message will be retried', id: m.id, attempts: m.attempts, error: String(e) }));
        m.retry({ delaySeconds: Math.min(300, 5 * 2 ** m.attempts) });
      }
    }
  }
  await afterStore(stored, env, blocked);
}

const key = (site: string, anon: string) => `${site}\t${anon}`;
/** Rows whose anonymous id was erased or withdrew analytics are dropped, however late they arrive. */
const allowed = (blocked: Set<string>) => (r: EventRow) => !(r.anon_id && blocked.has(key(r.site_id, r.anon_id)));

/** The (site, anonymous id) pairs of this batch that are tombstoned. */
function blockedIn(messages: StoreMessage[], db: D1Database): Promise<Set<string>> {
  const pairs: { site: string; anon: string }[] = [];
  for (const { body } of messages) {
    if (body.k === 'rc') {
      if (body.receipt.anon_id) pairs.push({ site: body.receipt.site_id, anon: body.receipt.anon_id });
    } else if (body.ctx.anon_id) pairs.push({ site: body.site, anon: body.ctx.anon_id });
  }
  return blockedAnons(db, pairs);
}

/**
 * A receipt that denies analytics withdraws every anonymous id its consent id was granted with:
 * they are tombstoned, so events still carrying them (offline queues, other tabs) are dropped.
 */
async function withdrawals(db: D1Database, receipts: ReceiptMessage[], now: number): Promise<D1PreparedStatement[]> {
  const out: D1PreparedStatement[] = [];
  for (const { receipt: r } of receipts) {
    if (!(JSON.parse(r.denied) as string[]).includes('analytics')) continue;
    const { results } = await db
      .prepare('SELECT DISTINCT anon_id FROM consent_receipts WHERE site_id = ?1 AND consent_id = ?2 AND anon_id IS NOT NULL')
      .bind(r.site_id, r.consent_id)
      .all<{ anon_id: string }>();
    const anons = new Set(results.map((x) => x.anon_id));
    for (const other of receipts) if (other.receipt.consent_id === r.consent_id && other.receipt.anon_id) anons.add(other.receipt.anon_id);
    out.push(...(await tombstoneStatements(db, r.site_id, [...anons].map((id) => ({ id, scope: 'anon' as const })), 'withdrawn', now)));
  }
  return out;
}

async function writeD1(messages: StoreMessage[], db: D1Database, blocked: Set<string>): Promise<unknown> {
  const rows: EventRow[] = [];
  const receipts: ReceiptMessage['receipt'][] = [];
  const receiptMessages: ReceiptMessage[] = [];
  const counts: CountRow[] = [];
  const secrets: D1PreparedStatement[] = [];
  for (const m of messages) {
    const body = m.body;
    if (body.k === 'rc') {
      receipts.push(body.receipt);
      receiptMessages.push(body);
      const anon = body.receipt.anon_id;
      // First registration wins; an erased id is never registered again.
      if (anon && body.secret_hash && !blocked.has(key(body.receipt.site_id, anon))) {
        secrets.push(
          db
            .prepare('INSERT OR IGNORE INTO browser_secrets (site_id, anon_id, secret_hash, created_at) VALUES (?1, ?2, ?3, ?4)')
            .bind(body.receipt.site_id, anon, body.secret_hash, body.receipt.received_at),
        );
      }
    } else {
      const mine = toRows(body);
      const keep = mine.filter(allowed(blocked));
      if (keep.length < mine.length) body.counts = { ...body.counts, dropped_erased_or_withdrawn: mine.length - keep.length };
      rows.push(...keep);
      for (const [name, n] of Object.entries(body.counts)) {
        if (n > 0) counts.push({ site_id: body.site, message_id: m.id, name, day: utcDay(body.received_at), n });
      }
    }
  }
  // Receipts first: the withdrawal lookups below read them.
  const statements = [
    ...insertReceipts(db, receipts),
    ...secrets,
    ...(await withdrawals(db, receiptMessages, Date.now())),
    ...insertEvents(db, rows),
    // The visit rollup folds in what this batch inserted, in the same transaction.
    ...(rows.length ? foldVisits(db) : []),
    ...insertCounts(db, counts),
  ];
  return statements.length ? db.batch(statements) : Promise.resolve();
}

async function afterStore(messages: StoreMessage[], env: Env, blocked: Set<string>): Promise<void> {
  const events = messages.filter((m): m is Message<EventsMessage> => m.body.k === 'ev');
  const rows = events.flatMap((m) => toRows(m.body)).filter(allowed(blocked));
  try {
    await archiveEvents(env.ARCHIVE, rows, events.map((m) => m.id));
    const fanOut = new Map<string, EventRow[]>();
    for (const r of rows) {
      const list = fanOut.get(r.site_id);
      if (list) list.push(r);
      else fanOut.set(r.site_id, [r]);
    }
    const outgoing = [...fanOut].flatMap(([siteId, siteRows]) => {
      const site = getSite(siteId);
      return site ? deliveriesFor(site, siteRows) : [];
    });
    for (let i = 0; i < outgoing.length; i += 100) {
      await env.EVENTS.sendBatch(outgoing.slice(i, i + 100).map((body) => ({ body })));
    }
  } catch (err) {
    // D1 already has the rows (idempotent on retry); redo archive and fan-out later.
    console.error(JSON.stringify({ level: 'error', msg: 'archive or fan-out failed; retrying', error: String(err) }));
    for (const m of events) m.retry({ delaySeconds: 30 });
    for (const m of messages) if (m.body.k === 'rc') m.ack();
    return;
  }
  for (const m of messages) m.ack();
}

import { getSite } from '../config/sites';
import { deliver } from '../destinations/deliver';
import { deliveriesFor } from '../destinations/fan-out';
import { utcDay } from '../enrich/visitor-hash';
import type { Env } from '../env';
import { archiveEvents } from './archive';
import { insertCounts, insertEvents, insertReceipts, type CountRow } from './events-store';
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
  try {
    await writeD1(messages, env.DB);
    stored = messages;
  } catch (err) {
    console.error(JSON.stringify({ level: 'error', msg: 'D1 batch write failed; retrying messages one by one', error: String(err), messages: messages.length }));
    stored = [];
    for (const m of messages) {
      try {
        await writeD1([m], env.DB);
        stored.push(m);
      } catch (e) {
        console.error(JSON.stringify({ level: 'error', msg: 'D1 write failed; message will be retried', id: m.id, attempts: m.attempts, error: String(e) }));
        m.retry({ delaySeconds: Math.min(300, 5 * 2 ** m.attempts) });
      }
    }
  }
  await afterStore(stored, env);
}

function writeD1(messages: StoreMessage[], db: D1Database): Promise<unknown> {
  const rows: EventRow[] = [];
  const receipts: ReceiptMessage['receipt'][] = [];
  const counts: CountRow[] = [];
  for (const m of messages) {
    const body = m.body;
    if (body.k === 'rc') receipts.push(body.receipt);
    else {
      rows.push(...toRows(body));
      for (const [name, n] of Object.entries(body.counts)) {
        if (n > 0) counts.push({ site_id: body.site, message_id: m.id, name, day: utcDay(body.received_at), n });
      }
    }
  }
  // Receipts first: later steps (withdrawal checks) read them.
  const statements = [...insertReceipts(db, receipts), ...insertEvents(db, rows), ...insertCounts(db, counts)];
  return statements.length ? db.batch(statements) : Promise.resolve();
}

async function afterStore(messages: StoreMessage[], env: Env): Promise<void> {
  const events = messages.filter((m): m is Message<EventsMessage> => m.body.k === 'ev');
  const rows = events.flatMap((m) => toRows(m.body));
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

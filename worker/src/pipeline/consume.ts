import { getSite } from '../config/sites';
import { deliver } from '../destinations/deliver';
import { deliveriesFor } from '../destinations/fan-out';
import { utcDay } from '../enrich/visitor-hash';
import type { Env } from '../env';
import { batchName } from '../storage/archive';
import { archiveEvents } from '../storage/archive-sink';
import { insertCounts, insertEvents, storedRows, type CountRow } from '../storage/events-store';
import { unitsOf, type DeliveryMessage, type EventRow, type EventsMessage, type QueueMessage, type ServerEventsMessage } from '../storage/messages';
import { foldVisits } from '../storage/visits';
import { admission, admitAll, type Admission } from './admit';

type StoreMessage = Message<EventsMessage | ServerEventsMessage>;
/** A message with the rows admission let through and the counts to record for it. */
interface Admitted {
  m: StoreMessage;
  rows: EventRow[];
  counts: CountRow[];
}

/**
 * The queue consumer, the second half of an event's path: admit (tombstones, latest consent),
 * store in D1, archive to R2, fan out to destinations — every D1 write a whole batch at a time.
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
    if (k === 'ev' || k === 'sv') store.push(m as StoreMessage);
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
  let admitted: Admitted[];
  let gate: Admission;
  try {
    gate = await admission(env.DB, messages.flatMap((m) => unitsOf(m.body)));
    admitted = messages.map((m) => {
      const { rows, dropped } = admitAll(gate, m.body);
      const counts = Object.entries({ ...m.body.counts, ...dropped })
        .filter(([, n]) => n > 0)
        .map(([name, n]) => ({ site_id: m.body.site, message_id: m.id, name, day: utcDay(m.body.received_at), n }));
      return { m, rows, counts };
    });
  } catch (err) {
    console.error(JSON.stringify({ level: 'error', msg: 'admission lookup failed; retrying batch', error: String(err) }));
    for (const m of messages) m.retry({ delaySeconds: 10 });
    return;
  }
  let stored: Admitted[];
  const inD1: Stored = new Map();
  try {
    await writeD1(admitted, env.DB, gate, inD1);
    stored = admitted;
  } catch (err) {
    console.error(JSON.stringify({ level: 'error', msg: 'D1 batch write failed; retrying messages one by one', error: String(err), messages: messages.length }));
    stored = [];
    for (const a of admitted) {
      try {
        await writeD1([a], env.DB, gate, inD1);
        stored.push(a);
      } catch (e) {
        console.error(JSON.stringify({ level: 'error', msg: 'D1 write failed; message will be retried', id: a.m.id, attempts: a.m.attempts, error: String(e) }));
        a.m.retry({ delaySeconds: Math.min(300, 5 * 2 ** a.m.attempts) });
      }
    }
  }
  await afterStore(stored, env, inD1);
}

/** What D1 holds of the rows written: `site\tid` → the user id it gave them. */
type Stored = Map<string, string | null>;

/**
 * One transaction: the inserts (each row checked against tombstones again, in the transaction), the rollup fold, the
 * counts, and a read of which rows D1 now holds with the user id it gave them (from the identity graph at that moment).
 */
async function writeD1(admitted: Admitted[], db: D1Database, gate: Admission, into: Stored): Promise<void> {
  const rows = admitted.flatMap((a) => a.rows);
  const statements = [
    ...insertEvents(db, rows, (r) => gate.subjectsOf(r)),
    // The visit rollup folds in what this batch inserted, in the same transaction.
    ...(rows.length ? foldVisits(db) : []),
    ...insertCounts(db, admitted.flatMap((a) => a.counts)),
  ];
  if (!statements.length) return;
  const results = await db.batch<{ site_id: string; id: string; user_id: string | null }>([...statements, storedRows(db, rows)]);
  for (const r of results.at(-1)!.results) into.set(`${r.site_id}\t${r.id}`, r.user_id);
}

async function afterStore(admitted: Admitted[], env: Env, stored: Stored): Promise<void> {
  // The archive and destinations get the rows D1 holds, with D1's user id (from the identity graph, never the client's
  // claim): a row an erasure stopped at the insert goes nowhere.
  const rows = admitted.flatMap((a) => a.rows).flatMap((r) => {
    const key = `${r.site_id}\t${r.id}`;
    return stored.has(key) ? [{ ...r, user_id: stored.get(key) ?? null }] : [];
  });
  try {
    await archiveEvents(env, rows, await batchName(admitted.map((a) => a.m.id)));
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
    for (const a of admitted) a.m.retry({ delaySeconds: 30 });
    return;
  }
  for (const a of admitted) a.m.ack();
}

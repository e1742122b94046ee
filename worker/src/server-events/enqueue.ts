import type { BatchContext, EnrichedEvent, QueueMessage, ServerEventsMessage } from '../storage/messages';

/**
 * Server events take the snippet's path from here on: the `tp-events` queue, stored by the same consumer
 * (pipeline/consume.ts) — tombstones and the latest consent checked again there, then D1, the R2 archive and the
 * destinations, in batches. A Segment batch holds calls about many people, each with its own context and consent
 * decision (`cs`), so its events are grouped by (context, decision) inside one `sv` message (storage/messages.ts):
 * one queue message per request, as for the snippet — a message per subject cost a queue write each, and a local broker
 * under load ran out of timers. Cloudflare Queues take at most 128 KB per message and 256 KB (and 100 messages) per
 * `sendBatch`, so a large request becomes a few messages, sent together.
 */
const MESSAGE_CHARS = 100_000;
const SEND_CHARS = 200_000;
const SEND_MESSAGES = 100;

export interface Stored {
  event: EnrichedEvent;
  ctx: BatchContext;
  cs?: { c: string; r: string };
}

/** A message and its approximate JSON size, measured as it is built. */
export interface Sized {
  body: ServerEventsMessage;
  chars: number;
}

/** The messages for one request; `counts` ride on the first (one message even when nothing is stored, so drops are counted). */
export function messagesFor(site: string, receivedAt: number, stored: Stored[], counts: Record<string, number>): Sized[] {
  const groups = new Map<string, { ctx: BatchContext; cs?: Stored['cs']; events: EnrichedEvent[]; sizes: number[]; base: number }>();
  for (const s of stored) {
    const ctxText = JSON.stringify(s.ctx);
    const key = `${ctxText}|${s.cs ? `${s.cs.c}\t${s.cs.r}` : ''}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ctx: s.ctx, ...(s.cs && { cs: s.cs }), events: [], sizes: [], base: key.length + 40 }));
    g.events.push(s.event);
    g.sizes.push(JSON.stringify(s.event).length + 1);
  }
  const out: Sized[] = [];
  let body: ServerEventsMessage | null = null;
  let chars = 0;
  const flush = () => {
    if (body) out.push({ body, chars });
    body = null;
    chars = 0;
  };
  for (const g of groups.values()) {
    let part: EnrichedEvent[] = [];
    let partChars = g.base;
    const close = () => {
      if (!part.length) return;
      if (body && chars + partChars > MESSAGE_CHARS) flush();
      body ??= { k: 'sv', site, received_at: receivedAt, groups: [], counts: {} };
      body.groups.push({ ctx: g.ctx, events: part, ...(g.cs && { cs: g.cs }) });
      chars += partChars;
      part = [];
      partChars = g.base;
    };
    g.events.forEach((e, i) => {
      if (part.length && partChars + g.sizes[i]! > MESSAGE_CHARS) close();
      part.push(e);
      partChars += g.sizes[i]!;
    });
    close();
  }
  flush();
  if (!Object.keys(counts).length) return out;
  if (out.length) out[0]!.body.counts = counts;
  else out.push({ body: { k: 'sv', site, received_at: receivedAt, groups: [], counts }, chars: 1000 });
  return out;
}

/** Sends in as few calls as the limits allow (one `send` for a typical request). */
export async function sendAll(queue: Queue<QueueMessage>, messages: Sized[]): Promise<void> {
  let chunk: { body: QueueMessage }[] = [];
  let chars = 0;
  const flush = async () => {
    if (chunk.length === 1) await queue.send(chunk[0]!.body);
    else if (chunk.length) await queue.sendBatch(chunk);
    chunk = [];
    chars = 0;
  };
  for (const { body, chars: size } of messages) {
    if (chunk.length === SEND_MESSAGES || chars + size > SEND_CHARS) await flush();
    chunk.push({ body });
    chars += size;
  }
  await flush();
}

/**
 * Messages on the `tp-events` queue. The ingest path only validates, enriches and enqueues;
 * the consumer does every write, in batches.
 */

/** Per-request context, shared by every event of one batch. */
export interface BatchContext {
  anon_id: string | null;
  user_id: string | null;
  session_id: string | null;
  visitor_hash: string | null;
  country: string | null;
  region: string | null;
  city: string | null;
  timezone: string | null;
  browser: string | null;
  os: string | null;
  device: string;
  bot: 0 | 1;
  cookieless: 0 | 1;
  /** granted categories, comma-separated, as verified from the consent token */
  consent: string;
}

/** One validated, enriched event, minus the batch context. */
export interface EnrichedEvent {
  id: string;
  name: string;
  custom: 0 | 1;
  category: string;
  ts: number;
  url: string;
  path: string;
  referrer: string | null;
  ref_host: string | null;
  source: string | null;
  medium: string | null;
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  utm_term: string | null;
  utm_content: string | null;
  click_id: string | null;
  pageview_id: string | null;
  props: string | null;
  /** 'browser' (snippet) or 'server' (Segment-compatible API) */
  sent_from: 'browser' | 'server';
  /** revenue in minor units of `currency` (exact integer), or null */
  revenue: number | null;
  /** ISO 4217 code of `revenue`, or null */
  currency: string | null;
}

export interface EventsMessage {
  k: 'ev';
  site: string;
  received_at: number;
  ctx: BatchContext;
  events: EnrichedEvent[];
  /** counters to record (dropped_consent, dropped_bot, rejected, …) */
  counts: Record<string, number>;
  /**
   * The decision the batch's token was issued for (public consent id, receipt id): the consumer
   * stores only what the consent id's latest decision still grants, if it was made before this batch.
   */
  cs?: { c: string; r?: string };
}

/**
 * Server events (the Segment-compatible API, server-events/): a Segment batch holds calls about many people, each with
 * its own context and consent decision, so one message carries a group per (context, decision). The consumer admits
 * each group as it would an `ev` message (`unitsOf`): one queue message per request, not one per subject.
 */
export interface ServerEventsMessage {
  k: 'sv';
  site: string;
  received_at: number;
  groups: { ctx: BatchContext; events: EnrichedEvent[]; cs?: { c: string; r?: string } }[];
  counts: Record<string, number>;
}

export interface DeliveryMessage {
  k: 'dl';
  site: string;
  destination: string;
  /** JSON body to POST */
  body: string;
}

export type QueueMessage = EventsMessage | ServerEventsMessage | DeliveryMessage;

/** The `ev` units of a store message: itself, or each group of a server message (without counts: the message has them). */
export const unitsOf = (m: EventsMessage | ServerEventsMessage): EventsMessage[] =>
  m.k === 'ev' ? [m] : m.groups.map((g) => ({ k: 'ev', site: m.site, received_at: m.received_at, ctx: g.ctx, events: g.events, counts: {}, ...(g.cs && { cs: g.cs }) }));

/** A stored event row: the event with its batch context. */
export type EventRow = EnrichedEvent & BatchContext & { site_id: string; received_at: number };

export const toRows = (m: EventsMessage): EventRow[] =>
  m.events.map((e) => ({ ...m.ctx, ...e, site_id: m.site, received_at: m.received_at }));

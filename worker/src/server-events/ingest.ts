import type { FieldError } from '../../../shared/schema';
import type { WriteKey } from '../auth/write-key';
import type { Env } from '../env';
import { apiError } from '../http/errors';
import { messagesFor, sendAll, type Stored } from './enqueue';
import { applyIdentity } from './identity';
import { judge, type DropReason } from './judge';
import { mapMessage, serverSession, type Mapped } from './map';
import { parseMessage, type Json, type SegmentMessage, type SegmentType } from './message';
import { revenueOf } from './props';
import { lookupSubjects } from './subjects';

/**
 * identify/alias calls one batch may make: each costs up to three D1 round trips (identity/links.ts), and a Worker
 * invocation may make 1,000 (Workers Paid; 50 on Free). Segment's libraries send 15–20 calls a batch, so only bulk
 * imports meet this; the calls past it are answered as rejected, the others in the batch are processed.
 */
export const MAX_IDENTITY_CALLS = 100;

/** The answer to every `/segment/v1/*` call: Segment's `success`, and what became of each call. */
export interface ServerAnswer {
  /** Segment's flag: true with a 200 */
  success: boolean;
  /** calls queued for storage */
  accepted: number;
  /** valid calls not stored, by reason (no consent on record, denied, erased, bot, …) */
  dropped: number;
  dropped_reasons: Partial<Record<DropReason, number>>;
  /** invalid calls, with the reason and the field (`batch.3.userId`) */
  rejected: (FieldError & { index: number })[];
  /** stored calls whose properties or traits were not all kept (props.ts), by name */
  left_out?: { index: number; keys: string[] }[];
  /** with a 400: why (the house error shape, next to the counts) */
  error?: FieldError;
}

export interface Calls {
  env: Env;
  key: WriteKey;
  items: unknown[];
  /** the path's type (`/segment/v1/track`); batch items name their own */
  type?: SegmentType;
  context?: Json;
  sentAt?: number;
  /** where the items sit in the body: `batch.` for a batch, '' for a single call */
  prefix: string;
  now: number;
}

const CONSENT_REASONS = new Set<DropReason>(['no_consent', 'denied', 'stale_policy', 'expired']);

/**
 * A request's calls, top to bottom: validate each (a bad one never costs the others), look up what the collector knows
 * about their subjects (one D1 read), judge consent and identity, apply identify/alias links (server keys only), map to
 * event rows, and enqueue them for the consumer. 400 when no call was valid or one exceeded 32 KB (Segment answers
 * 400 to that, and its libraries don't retry a 400), else 200 — both with the full answer.
 */
export async function ingestCalls(c: Calls): Promise<{ status: 200 | 400; answer: ServerAnswer }> {
  const { env, key, now } = c;
  const site = key.site;
  const rejected: ServerAnswer['rejected'] = [];
  const reject = (index: number, e: FieldError) => {
    const field = [c.prefix && `${c.prefix}${index}`, e.field].filter(Boolean).join('.');
    rejected.push({ index, code: e.code, message: e.message, ...(field && { field }) });
  };
  const oldest = now - site.retention_days.events * 86_400_000;

  const valid: { index: number; m: SegmentMessage; revenue: number | null; currency: string | null }[] = [];
  let identityCalls = 0;
  for (const [index, raw] of c.items.entries()) {
    const r = await parseMessage(raw, { type: c.type, context: c.context, sentAt: c.sentAt, now, oldest });
    if (!r.ok) {
      reject(index, r.error);
      continue;
    }
    const m = r.message;
    if (key.kind === 'browser') {
      // A browser key is public: its calls prove nothing about who anyone is (see auth/write-key.ts).
      if (m.type === 'identify' || m.type === 'alias') {
        reject(index, { code: 'needs_server_key', message: `${m.type} links ids: only a server write key may do that`, field: 'type' });
        continue;
      }
      m.userId = null;
      if (!m.anonymousId) {
        reject(index, { code: 'missing_identity', message: 'a browser write key needs anonymousId (user ids are ignored)', field: 'anonymousId' });
        continue;
      }
    }
    const money = m.type === 'track' || m.type === 'page' || m.type === 'screen' ? revenueOf(m.properties) : { ok: true as const, revenue: null, currency: null };
    if (!money.ok) {
      reject(index, { code: 'invalid_field', message: money.message, field: money.field });
      continue;
    }
    valid.push({ index, m, revenue: money.revenue, currency: money.currency });
  }

  const subjects = await lookupSubjects(env.DB, site.id, valid.map((v) => v.m));
  const counts: Record<string, number> = {};
  const bump = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
  const reasons: ServerAnswer['dropped_reasons'] = {};
  const drop = (reason: DropReason, category: string) => {
    reasons[reason] = (reasons[reason] ?? 0) + 1;
    bump(`server_dropped_${reason}`);
    if (CONSENT_REASONS.has(reason)) bump(`dropped_consent_${category}`);
    if (reason === 'erased') bump('dropped_erased_or_withdrawn');
    if (reason === 'bot') bump('dropped_bot');
  };

  const stored: Stored[] = [];
  const leftOut: NonNullable<ServerAnswer['left_out']> = [];
  for (const { index, m, revenue, currency } of valid) {
    const j = judge(site, m, subjects, now);
    if (j.kind === 'reject') {
      reject(index, j.error);
      continue;
    }
    if (j.kind === 'drop') {
      drop(j.reason, j.category);
      continue;
    }
    const mapped: Mapped = await mapMessage({ site, m, category: j.category, granted: j.granted, revenue, currency, session: serverSession });
    if (mapped.bot && site.bots === 'drop') {
      drop('bot', j.category);
      continue;
    }
    // In call order: an identify links before the calls after it are attributed (by the consumer, from the graph).
    const anon = m.type === 'alias' ? m.previousId : m.anonymousId;
    // Only calls that write the graph count (dropped ones and aliases already linked don't).
    const writes = (m.type === 'identify' || m.type === 'alias') && !!m.userId && !(m.type === 'alias' && anon && subjects.linkedUser(anon) === m.userId);
    if (writes && ++identityCalls > MAX_IDENTITY_CALLS) {
      reject(index, {
        code: 'too_many_identity_calls',
        message: `at most ${MAX_IDENTITY_CALLS} identify/alias calls per batch (each writes the identity graph at once, and a Worker invocation makes at most 1,000 D1 queries): send the rest in another batch`,
        field: 'type',
      });
      continue;
    }
    const identity = await applyIdentity(env.DB, site, m, anon ? subjects.linkedUser(anon) : undefined, now);
    if (!identity.ok) {
      reject(index, identity.error);
      continue;
    }
    if (anon && m.userId && (m.type === 'identify' || m.type === 'alias')) subjects.linked(anon, m.userId);
    const keys = [...mapped.leftOut, ...identity.refusedTraits];
    if (keys.length) leftOut.push({ index, keys });
    stored.push({ event: mapped.event, ctx: mapped.ctx, ...(j.cs && { cs: j.cs }) });
  }
  if (rejected.length) {
    counts.rejected = rejected.length;
    counts.server_rejected = rejected.length;
  }
  rejected.sort((a, b) => a.index - b.index);

  const dropped = Object.values(reasons).reduce((n, x) => n + (x ?? 0), 0);
  if (stored.length || Object.keys(counts).length) {
    try {
      await sendAll(env.EVENTS, messagesFor(site.id, now, stored, counts));
    } catch (err) {
      console.error(JSON.stringify({ level: 'error', msg: 'queue send failed', error: String(err) }));
      throw apiError(503, 'unavailable', 'the collector cannot accept events right now; retry later');
    }
  }
  if (dropped || rejected.length || leftOut.length) {
    console.log(JSON.stringify({ level: 'info', msg: 'server events filtered', site: site.id, accepted: stored.length, dropped, rejected: rejected.length, counts, left_out: leftOut.length }));
  }
  const answer: ServerAnswer = { success: true, accepted: stored.length, dropped, dropped_reasons: reasons, rejected, ...(leftOut.length && { left_out: leftOut }) };
  const oversize = rejected.find((r) => r.code === 'event_too_large');
  if (oversize) return { status: 400, answer: { ...answer, success: false, error: { code: 'event_too_large', message: oversize.message, ...(oversize.field && { field: oversize.field }) } } };
  if (stored.length + dropped === 0 && rejected.length > 0) {
    return { status: 400, answer: { ...answer, success: false, error: { code: 'invalid_events', message: 'no call in the request is valid', ...(rejected[0]!.field && { field: rejected[0]!.field }) } } };
  }
  return { status: 200, answer };
}

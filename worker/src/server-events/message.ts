import { LIMITS } from '../../../shared/limits';
import { labelProblem, textProblem } from '../../../shared/rules';
import type { FieldError } from '../../../shared/schema';
import { EVENT } from '../../../shared/wire';
import { sha256Hex } from '../crypto/hmac';
import { illegalUserId } from '../identity/rules';
import { MAX_EVENT_BYTES } from './body';

/**
 * One call of Segment's HTTP Tracking API (track, identify, page, screen, group, alias), checked field by field and
 * normalised. Unknown keys are ignored, as Segment does; what Touchpoint can't store as sent (nested properties) is
 * fitted later (`props.ts`), and only what makes the call meaningless or unsafe rejects it.
 */
export const SEGMENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type SegmentType = (typeof SEGMENT_TYPES)[number];

export type Json = Record<string, unknown>;
export interface SegmentMessage {
  type: SegmentType;
  /**
   * The stored event id, derived from `messageId` (Segment's idempotency key): `s:<messageId>`. The snippet's ids are
   * `[A-Za-z0-9_-]`, so a server id can never take a browser event's place. Without a messageId, `s#` and a hash of the
   * call: a retry sends the same bytes, so it still stores nothing twice.
   */
  id: string;
  userId: string | null;
  anonymousId: string | null;
  /** track: the event; page and screen: the name */
  name: string | null;
  groupId: string | null;
  previousId: string | null;
  properties: Json;
  traits: Json;
  context: Json;
  /** when it happened: `timestamp` corrected for the sender's clock skew (see `eventTime`), epoch ms */
  ts: number;
}

export type MessageResult = { ok: true; message: SegmentMessage } | { ok: false; error: FieldError };

export interface ParseOptions {
  /** the type the path names (`/segment/v1/track`); a batch's items carry their own */
  type?: SegmentType;
  /** the batch's `context`, merged under each item's own (Segment: "merged with any context inside each of the items") */
  context?: Json;
  /** the batch's `sentAt` (epoch ms), for items without their own */
  sentAt?: number;
  now: number;
  /** the oldest accepted time (historical imports, up to the site's event retention) */
  oldest: number;
}

/** Event names a `track` may not take: the snippet's built-ins (a server "pageview" would count as one) and the other calls'. */
const RESERVED = new Set<string>([...Object.values(EVENT), 'identify', 'alias', 'group']);
export const NAME_LENGTH = 128;
const ID_LENGTH = 256;
const MESSAGE_ID_LENGTH = 100;

const refuse = (field: string | undefined, message: string, code = 'invalid_field'): MessageResult => ({ ok: false, error: field ? { code, message, field } : { code, message } });
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An id as Segment allows it (a string, or a number its libraries stringify); undefined when absent or empty. */
function idValue(v: unknown): string | undefined | Error {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return new Error('must be a string');
  const problem = textProblem(v, ID_LENGTH) ?? illegalUserId(v);
  return problem ? new Error(problem) : v;
}

/** ISO 8601 text or epoch milliseconds; undefined when absent, null when unreadable. */
export function instant(v: unknown): number | undefined | null {
  if (v === undefined || v === null) return undefined;
  const ms = typeof v === 'number' ? v : typeof v === 'string' && v.length <= 64 ? Date.parse(v) : NaN;
  return Number.isFinite(ms) ? Math.round(ms) : null;
}

/**
 * Segment's clock-skew correction (Spec: Common fields, "Timestamps"): `timestamp = receivedAt - (sentAt - originalTimestamp)`.
 * The sender's clock may be wrong, but the gap between the call and its sending is measured on that same clock, so it
 * is applied to our receive time. Without `sentAt` a given timestamp is taken as it is (historical imports); without
 * either the call happened now.
 */
export function eventTime(timestamp: number | undefined, sentAt: number | undefined, receivedAt: number): number {
  if (timestamp === undefined) return receivedAt;
  return sentAt === undefined ? timestamp : receivedAt - (sentAt - timestamp);
}

/**
 * Checks one call. Errors name Segment's field (`userId`, `event`, `properties.revenue`); the size limit is measured on
 * the call's JSON text as sent.
 */
export async function parseMessage(raw: unknown, o: ParseOptions): Promise<MessageResult> {
  if (!isObject(raw)) return refuse(undefined, 'each call must be an object');
  const text = JSON.stringify(raw);
  // UTF-8 is at most 3 bytes per UTF-16 unit: encode only when the text could be near the limit.
  if (text.length * 3 > MAX_EVENT_BYTES && new TextEncoder().encode(text).byteLength > MAX_EVENT_BYTES) {
    return refuse(undefined, `the call exceeds ${MAX_EVENT_BYTES / 1024} KB (Segment's limit per event)`, 'event_too_large');
  }
  const type = o.type ?? raw.type;
  if (typeof type !== 'string' || !(SEGMENT_TYPES as readonly string[]).includes(type)) return refuse('type', `must be one of: ${SEGMENT_TYPES.join(', ')}`);

  const userId = idValue(raw.userId);
  if (userId instanceof Error) return refuse('userId', `user id refused: ${userId.message}`);
  const anonymousId = idValue(raw.anonymousId);
  if (anonymousId instanceof Error) return refuse('anonymousId', `anonymous id refused: ${anonymousId.message}`);
  let previousId: string | undefined;
  if (type === 'alias') {
    const p = idValue(raw.previousId);
    if (p instanceof Error) return refuse('previousId', `previous id refused: ${p.message}`);
    if (!p) return refuse('previousId', 'alias needs previousId (the anonymous id to link)');
    if (!userId) return refuse('userId', 'alias needs userId');
    previousId = p;
  } else if (!userId && !anonymousId) {
    return refuse('userId', 'every call needs userId or anonymousId', 'missing_identity');
  }

  let name: string | undefined;
  const nameKey = type === 'track' ? 'event' : 'name';
  const rawName = raw[nameKey] ?? (type === 'screen' || type === 'page' ? (raw.properties as Json | undefined)?.name : undefined);
  if (rawName !== undefined && rawName !== null && rawName !== '') {
    if (typeof rawName !== 'string') return refuse(nameKey, 'must be a string');
    const problem = labelProblem(rawName, NAME_LENGTH);
    if (problem) return refuse(nameKey, problem);
    name = rawName;
  }
  if (type === 'track') {
    if (!name) return refuse('event', 'track needs the event name');
    if (RESERVED.has(name)) return refuse('event', `"${name}" is reserved (page views, identify, alias and group have their own calls)`);
  }
  let groupId: string | undefined;
  if (type === 'group') {
    const g = idValue(raw.groupId);
    if (g instanceof Error || !g) return refuse('groupId', g instanceof Error ? `group id refused: ${g.message}` : 'group needs groupId');
    groupId = g;
  }

  for (const key of ['properties', 'traits', 'context'] as const) {
    if (raw[key] !== undefined && raw[key] !== null && !isObject(raw[key])) return refuse(key, 'must be an object');
  }
  const messageId = raw.messageId;
  if (messageId !== undefined && messageId !== null && (typeof messageId !== 'string' || labelProblem(messageId, MESSAGE_ID_LENGTH))) {
    return refuse('messageId', `must be a string of 1–${MESSAGE_ID_LENGTH} characters without control characters`);
  }
  const timestamp = instant(raw.timestamp ?? raw.originalTimestamp);
  if (timestamp === null) return refuse('timestamp', 'must be an ISO 8601 date-time');
  const ownSentAt = instant(raw.sentAt);
  if (ownSentAt === null) return refuse('sentAt', 'must be an ISO 8601 date-time');
  const ts = eventTime(timestamp, ownSentAt ?? o.sentAt, o.now);
  if (ts < o.oldest || ts > o.now + LIMITS.maxSkewMs) {
    return refuse('timestamp', 'outside the accepted window (the site\'s event retention to 5 minutes ahead, after clock-skew correction)');
  }

  return {
    ok: true,
    message: {
      type: type as SegmentType,
      id: typeof messageId === 'string' && messageId ? `s:${messageId}` : `s#${(await sha256Hex(text)).slice(0, 32)}`,
      userId: userId ?? null,
      anonymousId: anonymousId ?? null,
      name: name ?? null,
      groupId: groupId ?? null,
      previousId: previousId ?? null,
      properties: isObject(raw.properties) ? raw.properties : {},
      traits: isObject(raw.traits) ? raw.traits : {},
      context: o.context || isObject(raw.context) ? { ...o.context, ...(isObject(raw.context) ? raw.context : {}) } : {},
      ts,
    },
  };
}

import type { EventRow } from './messages';
import { jsonInsert } from './json-insert';

export const EVENT_COLUMNS = [
  'site_id', 'id', 'name', 'custom', 'category', 'ts', 'received_at', 'anon_id', 'user_id', 'session_id', 'visitor_hash',
  'pageview_id', 'url', 'path', 'referrer', 'ref_host', 'source', 'medium', 'utm_source', 'utm_medium', 'utm_campaign',
  'utm_term', 'utm_content', 'click_id', 'country', 'region', 'city', 'timezone', 'browser', 'os', 'device', 'bot',
  'cookieless', 'consent', 'props', 'sent_from', 'revenue', 'currency',
] as const satisfies readonly (keyof EventRow)[];

export interface CountRow {
  site_id: string;
  message_id: string;
  name: string;
  day: string;
  n: number;
}

/**
 * Idempotent: a row whose (site_id, id) exists is skipped, so a redelivered batch never duplicates.
 * `user_id` comes from the identity graph, never from the client's claim: a batch saying "I am
 * user X" is attributed to X only if its anonymous id was linked to X by a verified identify.
 * The row's own `user_id` is used only where the graph has nothing to say: the Segment-compatible API sets it
 * for calls that name no anonymous id (a site's back end naming its own user); the snippet's rows never carry one.
 */
export const insertEvents = (db: D1Database, rows: EventRow[]) =>
  jsonInsert(db, 'events', EVENT_COLUMNS, rows, {
    exprs: { user_id: 'COALESCE((SELECT l.user_id FROM identity_links l WHERE l.site_id = $.site_id AND l.anon_id = $.anon_id), $.user_id)' },
  });

export const insertCounts = (db: D1Database, rows: CountRow[]) =>
  jsonInsert(db, 'ingest_counts', ['site_id', 'message_id', 'name', 'day', 'n'], rows);

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
 * `user_id` is what admission set (pipeline/admit.ts): the identity graph's user for a linked anonymous id, never the
 * client's claim; the row's own only where the graph has nothing to say (a server call naming no anonymous id). A link
 * written after admission read the graph reaches these rows at query time (stats stitch through identity_links).
 */
export const insertEvents = (db: D1Database, rows: EventRow[]) => jsonInsert(db, 'events', EVENT_COLUMNS, rows);

export const insertCounts = (db: D1Database, rows: CountRow[]) =>
  jsonInsert(db, 'ingest_counts', ['site_id', 'message_id', 'name', 'day', 'n'], rows);

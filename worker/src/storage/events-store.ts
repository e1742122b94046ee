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
 * Idempotent: a row whose (site_id, id) exists is skipped, so a redelivered batch never duplicates; so is a row whose
 * subject is tombstoned (`guard`).
 * `user_id` comes from the identity graph, never from the client's claim: a batch saying "I am
 * user X" is attributed to X only if its anonymous id was linked to X by a verified identify.
 * The row's own `user_id` is used only where the graph has nothing to say: the Segment-compatible API sets it
 * for calls that name no anonymous id (a site's back end naming its own user); the snippet's rows never carry one.
 */
export const insertEvents = (db: D1Database, rows: EventRow[], guard: (r: EventRow) => RowSubjects = () => ({})) =>
  jsonInsert(db, 'events', EVENT_COLUMNS, rows, {
    exprs: { user_id: 'COALESCE((SELECT l.user_id FROM identity_links l WHERE l.site_id = $.site_id AND l.anon_id = $.anon_id), $.user_id)' },
    // The consumer checked tombstones before this write; an erasure committing in between is caught here, in the insert's
    // own transaction, by the hashes of the row's ids (computed in the Worker: SQLite has no SHA-256).
    extra: {
      names: ['t_anon', 't_anon_legacy', 't_user', 't_user_legacy'],
      values: (r) => {
        const g = guard(r);
        return [...(g.anon ?? [null, null]), ...(g.user ?? [null, null])];
      },
    },
    where: `NOT EXISTS (SELECT 1 FROM tombstones t WHERE t.site_id = $.site_id AND (t.subject IN ($.t_anon, $.t_user)
      OR (t.subject = $.t_anon_legacy AND t.scope = 'anon') OR (t.subject = $.t_user_legacy AND t.scope = 'user')))`,
  });

/** The tombstone keys (privacy/tombstones.ts `subjectKeys`: scoped and legacy hash) of a row's anonymous and user id. */
export interface RowSubjects {
  anon?: [scoped: string, legacy: string];
  user?: [scoped: string, legacy: string];
}

/**
 * After the inserts, in the same batch: which of the rows D1 holds (inserted now or by an earlier delivery) and the user id
 * it gave them — what the archive and destinations then send, so a row an erasure stopped goes nowhere.
 */
export const storedRows = (db: D1Database, rows: EventRow[]) =>
  db
    .prepare('SELECT e.site_id, e.id, e.user_id FROM json_each(?1) j JOIN events e ON e.site_id = j.value ->> 0 AND e.id = j.value ->> 1')
    .bind(JSON.stringify(rows.map((r) => [r.site_id, r.id])));

export const insertCounts = (db: D1Database, rows: CountRow[]) =>
  jsonInsert(db, 'ingest_counts', ['site_id', 'message_id', 'name', 'day', 'n'], rows);

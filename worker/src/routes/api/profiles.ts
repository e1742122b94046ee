import { Hono } from 'hono';
import { authorize } from '../../auth/api-key';
import type { AppEnv } from '../../env';
import { queryLimit } from '../../http/api-request';
import { apiError } from '../../http/errors';
import { linksOf } from '../../identity/links';
import { MAX_USER_ID } from '../../identity/rules';
import { activeDays, archivedEventsOf } from '../../archive/history';
import { unreadableWarning } from '../../privacy/subjects';
import { getSite } from '../../config/sites';
import { archiveBefore } from '../../storage/hot-window';

const MAX_LIMIT = 500;
/** What a timeline event shows, whether it comes from D1 or from the archive. */
const TIMELINE_COLUMNS = [
  'id', 'name', 'custom', 'category', 'ts', 'anon_id', 'user_id', 'session_id', 'pageview_id', 'url', 'path', 'referrer', 'source', 'medium',
  'utm_source', 'utm_medium', 'utm_campaign', 'country', 'browser', 'os', 'device', 'props',
] as const;

/** A timeline cursor: the (ts, seq) of the last event of the previous page. */
const parseCursor = (raw: string | undefined): [number, number] => {
  if (!raw) return [-1, -1];
  const m = /^(\d{1,15})\.(\d{1,15})$/.exec(raw);
  if (!m) throw apiError(400, 'invalid_field', 'cursor must be the next_cursor of a previous page', 'cursor');
  return [Number(m[1]), Number(m[2])];
};

/**
 * GET /api/v1/profiles/{userId}?site_id=&cursor=&limit= — the user's linked anonymous ids (with
 * verified flags), traits, first/last seen and the stitched timeline: events recorded under any
 * linked anonymous id, before login included (`stitched: true`: recorded before that device's login),
 * plus those carrying the user id.
 * Stitching happens here, at read time: stored events are never rewritten.
 * Events older than D1's hot window come from the Parquet archive (the days the visit rollup saw the user's devices on),
 * ahead of D1's; their cursor carries their rank among events of the same millisecond where D1's carries `seq`.
 */
export const profilesRoute = new Hono<AppEnv>().get('/api/v1/profiles/:userId', async function getProfile(c) {
  const siteId = await authorize(c, c.req.query('site_id'));
  const userId = c.req.param('userId');
  if (!userId || userId.length > MAX_USER_ID) throw apiError(400, 'invalid_field', `user id: 1–${MAX_USER_ID} characters`, 'userId');
  const limit = queryLimit(c, 100, MAX_LIMIT);
  const [afterTs, afterSeq] = parseCursor(c.req.query('cursor'));
  const db = c.env.DB;

  const links = await linksOf(db, siteId, userId);
  const anonIds = JSON.stringify(links.map((l) => l.anon_id));
  // D1 answers from where retention removed raw events on; before it, the archive (storage/hot-window.ts archiveBefore).
  const cut = await archiveBefore(c.env, siteId);
  const days = cut ? await activeDays(db, siteId, links.map((l) => l.anon_id), cut, userId) : [];
  const unreadable: string[] = [];
  const older = days.length ? await archivedEventsOf(c.env.ARCHIVE, { siteId, userId, anonIds: links.map((l) => l.anon_id) }, cut, days, unreadable) : [];
  // The user's events: by the graph (any linked anonymous id) or carrying the user id.
  const mine = `site_id = ?1 AND (user_id = ?2 OR anon_id IN (SELECT value FROM json_each(?3))) AND ts >= ${cut}`;
  const [span, traits, page] = await db.batch<Record<string, unknown>>([
    db.prepare(`SELECT min(ts) AS first_seen, max(ts) AS last_seen, count(*) AS events FROM events WHERE ${mine}`).bind(siteId, userId, anonIds),
    db.prepare('SELECT traits, updated_at FROM user_traits WHERE site_id = ?1 AND user_id = ?2').bind(siteId, userId),
    db
      .prepare(
        `SELECT seq, ${TIMELINE_COLUMNS.join(', ')}
         FROM events WHERE ${mine} AND (ts > ?4 OR (ts = ?4 AND seq > ?5)) ORDER BY ts, seq LIMIT ?6`,
      )
      .bind(siteId, userId, anonIds, afterTs, afterSeq, limit),
  ]);
  const s = span!.results[0] as { first_seen: number | null; last_seen: number | null; events: number };
  const t = traits!.results[0] as { traits: string; updated_at: number } | undefined;
  if (older.length) {
    s.first_seen = older[0]!.ts;
    s.last_seen ??= older.at(-1)!.ts;
    s.events += older.length;
  }
  if (!links.length && !t && !s.events) throw apiError(404, 'unknown_user', `no profile for user "${userId}" on site ${siteId}`, 'userId');

  // Archived events first (all older than D1's), ranked within their millisecond, with D1's columns; then D1's page.
  type Row = { seq: number; ts: number; user_id: string | null; props: string | null } & Record<string, unknown>;
  let rank = 0;
  const archived: Row[] = older.map((e, i) => {
    rank = i > 0 && older[i - 1]!.ts === e.ts ? rank + 1 : 0;
    return { ...Object.fromEntries(TIMELINE_COLUMNS.map((k) => [k, e[k]])), seq: rank } as Row;
  });
  const rows = [...archived.filter((e) => e.ts > afterTs || (e.ts === afterTs && e.seq > afterSeq)), ...(page!.results as Row[])].slice(0, limit);
  const last = rows.at(-1);
  const linkedAt = new Map(links.map((l) => [l.anon_id, l.linked_at]));
  return c.json({
    site_id: siteId,
    user_id: userId,
    anonymous_ids: links.map((l) => ({ id: l.anon_id, verified: l.verified, linked_at: new Date(l.linked_at).toISOString(), method: l.method })),
    traits: t ? JSON.parse(t.traits) : {},
    traits_updated_at: t ? new Date(t.updated_at).toISOString() : null,
    first_seen: s.first_seen === null ? null : new Date(s.first_seen).toISOString(),
    last_seen: s.last_seen === null ? null : new Date(s.last_seen).toISOString(),
    event_count: s.events,
    timeline: {
      // stitched: recorded while the visitor was still anonymous (before that device's login).
      events: rows.map(({ seq: _seq, props, user_id: _u, ...e }) => ({ ...e, user_id: userId, stitched: e.ts < (linkedAt.get(e.anon_id as string) ?? 0), props: props ? JSON.parse(props) : {} })),
      next_cursor: rows.length === limit && last ? `${last.ts}.${last.seq}` : null,
    },
    ...(unreadable.length && { warnings: [unreadableWarning(unreadable)] }),
  });
});

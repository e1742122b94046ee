import { linkVisits } from '../storage/visits';
import { LINK_LIMITS, MAX_TRAITS_BYTES } from './rules';

export interface LinkRequest {
  siteId: string;
  anonId: string;
  userId: string;
  verified: boolean;
  /** traits already filtered to what the site allows */
  traits?: Record<string, unknown>;
  now: number;
  /** how the link was made: `identify` (the snippet), `server_identify` / `server_alias` (the Segment-compatible API) */
  method?: string;
}

export type LinkResult =
  | { ok: true; created: boolean; verified: boolean; traitsStored: boolean }
  | { ok: false; status: 409 | 429; code: string; message: string; retryAfterS?: number };

export interface AnonymousLink {
  anon_id: string;
  verified: boolean;
  linked_at: number;
  method: string;
}

/**
 * Links an anonymous id to a user, by the graph's rules: an anonymous id belongs to at most one
 * user and is never relinked (the primary key makes that hold under concurrent requests too);
 * a user gains at most LINK_LIMITS.perUserPerHour new devices an hour; an anonymous id makes at
 * most LINK_LIMITS.perAnonPerHour identify attempts an hour. Every attempt is recorded.
 */
export async function linkIdentity(db: D1Database, r: LinkRequest): Promise<LinkResult> {
  const hourAgo = r.now - 3600_000;
  const [existing, userLinks, anonAttempts] = await db.batch<{ user_id?: string; verified?: number; n?: number; oldest?: number }>([
    db.prepare('SELECT user_id, verified FROM identity_links WHERE site_id = ?1 AND anon_id = ?2').bind(r.siteId, r.anonId),
    db.prepare('SELECT count(*) AS n, min(linked_at) AS oldest FROM identity_links WHERE site_id = ?1 AND user_id = ?2 AND linked_at > ?3').bind(r.siteId, r.userId, hourAgo),
    db.prepare('SELECT count(*) AS n, min(ts) AS oldest FROM identify_attempts WHERE site_id = ?1 AND anon_id = ?2 AND ts > ?3').bind(r.siteId, r.anonId, hourAgo),
  ]);
  const linked = existing!.results[0];
  const refuse = async (status: 409 | 429, code: string, message: string, oldest?: number): Promise<LinkResult> => {
    await recordAttempt(db, r, `refused_${code}`);
    // Sliding hour: the oldest counted call leaves the window first.
    return { ok: false, status, code, message, ...(oldest ? { retryAfterS: (oldest - hourAgo) / 1000 } : {}) };
  };
  if ((anonAttempts!.results[0]?.n ?? 0) >= LINK_LIMITS.perAnonPerHour) {
    return refuse(429, 'rate_limited', `at most ${LINK_LIMITS.perAnonPerHour} identify calls per anonymous id an hour`, anonAttempts!.results[0]?.oldest);
  }
  if (linked && linked.user_id !== r.userId) {
    return refuse(409, 'anon_linked_to_other_user', 'this anonymous id belongs to another user; a new user needs a new anonymous id (tp.reset() on logout)');
  }
  if (!linked && (userLinks!.results[0]?.n ?? 0) >= LINK_LIMITS.perUserPerHour) {
    return refuse(429, 'rate_limited', `at most ${LINK_LIMITS.perUserPerHour} new devices per user an hour`, userLinks!.results[0]?.oldest);
  }

  const traits = r.traits && Object.keys(r.traits).length ? JSON.stringify(r.traits) : null;
  const writes = [
    db
      .prepare('INSERT INTO identity_links (site_id, anon_id, user_id, linked_at, verified, method) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (site_id, anon_id) DO NOTHING')
      .bind(r.siteId, r.anonId, r.userId, r.now, r.verified ? 1 : 0, r.method ?? 'identify'),
    attemptStatement(db, r, linked ? 'already_linked' : 'linked'),
  ];
  if (traits) writes.push(traitsStatement(db, r.siteId, r.userId, traits, r.now));
  writes.push(...linkVisits(db, r.siteId, r.anonId));
  const results = await db.batch(writes);
  if (!linked && results[0]!.meta.changes === 0) {
    // Another request linked this anonymous id first: the rule is decided by what is stored.
    const now = await db.prepare('SELECT user_id FROM identity_links WHERE site_id = ?1 AND anon_id = ?2').bind(r.siteId, r.anonId).first<{ user_id: string }>();
    if (now?.user_id !== r.userId) return { ok: false, status: 409, code: 'anon_linked_to_other_user', message: 'this anonymous id belongs to another user' };
  }
  return { ok: true, created: !linked, verified: linked ? linked.verified === 1 : r.verified, traitsStored: traits ? results[2]!.meta.changes > 0 : false };
}

/** Latest wins per trait (JSON merge patch); the merged profile stays bounded (a patch that would outgrow it changes nothing). */
export const traitsStatement = (db: D1Database, siteId: string, userId: string, traits: string, now: number): D1PreparedStatement =>
  db
    .prepare(
      `INSERT INTO user_traits (site_id, user_id, traits, updated_at) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (site_id, user_id) DO UPDATE SET traits = json_patch(user_traits.traits, excluded.traits), updated_at = excluded.updated_at
       WHERE length(json_patch(user_traits.traits, excluded.traits)) <= ${MAX_TRAITS_BYTES}`,
    )
    .bind(siteId, userId, traits, now);

const attemptStatement = (db: D1Database, r: Pick<LinkRequest, 'siteId' | 'anonId' | 'userId' | 'now'>, outcome: string) =>
  db.prepare('INSERT INTO identify_attempts (site_id, anon_id, user_id, ts, outcome) VALUES (?1, ?2, ?3, ?4, ?5)').bind(r.siteId, r.anonId, r.userId.slice(0, 256), r.now, outcome);

/** Records a refused or accepted attempt (rate limits and refusal counters read these). */
export const recordAttempt = (db: D1Database, r: Pick<LinkRequest, 'siteId' | 'anonId' | 'userId' | 'now'>, outcome: string) => attemptStatement(db, r, outcome).run();

/** Every anonymous id linked to `userId`. */
export async function linksOf(db: D1Database, siteId: string, userId: string): Promise<AnonymousLink[]> {
  const { results } = await db
    .prepare('SELECT anon_id, verified, linked_at, method FROM identity_links WHERE site_id = ?1 AND user_id = ?2 ORDER BY linked_at')
    .bind(siteId, userId)
    .all<{ anon_id: string; verified: number; linked_at: number; method: string }>();
  return results.map((l) => ({ ...l, verified: l.verified === 1 }));
}

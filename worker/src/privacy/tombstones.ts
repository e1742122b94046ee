import { sha256Hex } from '../crypto/hmac';

export type Scope = 'anon' | 'user';
export type Reason = 'erased' | 'withdrawn';

/** The only thing kept about an erased subject: a hash of its id (plus site, scope, reason, time). */
export const subjectHash = (id: string): Promise<string> => sha256Hex(`tp-subject:${id}`);

export async function tombstoneStatements(db: D1Database, siteId: string, ids: { id: string; scope: Scope }[], reason: Reason, now: number): Promise<D1PreparedStatement[]> {
  return Promise.all(
    ids.map(async ({ id, scope }) =>
      db
        .prepare('INSERT OR IGNORE INTO tombstones (site_id, subject, scope, reason, created_at) VALUES (?1, ?2, ?3, ?4, ?5)')
        .bind(siteId, await subjectHash(id), scope, reason, now),
    ),
  );
}

/**
 * Which of these (site, anonymous id) pairs are tombstoned (erased, or analytics withdrawn):
 * returns the set of `site\tanon` keys whose events must be dropped.
 */
export async function blockedAnons(db: D1Database, pairs: { site: string; anon: string }[]): Promise<Set<string>> {
  const unique = [...new Map(pairs.map((p) => [`${p.site}\t${p.anon}`, p])).values()];
  if (!unique.length) return new Set();
  const hashed = await Promise.all(unique.map(async (p) => ({ ...p, subject: await subjectHash(p.anon) })));
  const { results } = await db
    .prepare(
      `SELECT t.site_id, t.subject FROM tombstones t JOIN json_each(?1) j
       ON t.site_id = json_extract(j.value, '$.site') AND t.subject = json_extract(j.value, '$.subject')`,
    )
    .bind(JSON.stringify(hashed.map(({ site, subject }) => ({ site, subject }))))
    .all<{ site_id: string; subject: string }>();
  const hit = new Set(results.map((r) => `${r.site_id}\t${r.subject}`));
  return new Set(hashed.filter((p) => hit.has(`${p.site}\t${p.subject}`)).map((p) => `${p.site}\t${p.anon}`));
}

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

/** Whether `id` (an anonymous id or a user id) was erased or withdrew analytics on this site. */
export async function isTombstoned(db: D1Database, siteId: string, id: string): Promise<boolean> {
  return !!(await db.prepare('SELECT 1 FROM tombstones WHERE site_id = ?1 AND subject = ?2').bind(siteId, await subjectHash(id)).first());
}

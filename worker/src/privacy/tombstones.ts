import { sha256Hex } from '../crypto/hmac';

export type Scope = 'anon' | 'user';
export type Reason = 'erased' | 'withdrawn';

/** The only thing kept about an erased subject: a hash of its id (plus site, scope, reason, time). */
export const subjectHash = (id: string): Promise<string> => sha256Hex(`tp-subject:${id}`);

/**
 * An erasure supersedes a withdrawal: a withdrawn subject erased later becomes `erased` (with the erasure's time), since
 * the archive's compaction drops the rows of erased subjects only — a withdrawal keeps what was recorded before it.
 */
export async function tombstoneStatements(db: D1Database, siteId: string, ids: { id: string; scope: Scope }[], reason: Reason, now: number): Promise<D1PreparedStatement[]> {
  return Promise.all(
    ids.map(async ({ id, scope }) =>
      db
        .prepare(
          `INSERT INTO tombstones (site_id, subject, scope, reason, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
           ON CONFLICT (site_id, subject) DO UPDATE SET reason = 'erased', created_at = excluded.created_at
           WHERE excluded.reason = 'erased' AND tombstones.reason <> 'erased'`,
        )
        .bind(siteId, await subjectHash(id), scope, reason, now),
    ),
  );
}

/**
 * Which of `ids` (anonymous or user ids) were erased on the site: their hashes looked up in chunks (one JSON parameter
 * each). Archive compaction runs it after writing its output, so no erasure can slip between its reads and its deletes.
 */
export async function erasedAmong(db: D1Database, siteId: string, ids: Iterable<string>): Promise<Set<string>> {
  const byHash = new Map<string, string>();
  for (const id of ids) byHash.set(await subjectHash(id), id);
  const hashes = [...byHash.keys()];
  const erased = new Set<string>();
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < hashes.length; i += 5000) {
    statements.push(
      db
        .prepare("SELECT subject FROM tombstones WHERE site_id = ?1 AND reason = 'erased' AND subject IN (SELECT value FROM json_each(?2))")
        .bind(siteId, JSON.stringify(hashes.slice(i, i + 5000))),
    );
  }
  if (statements.length) for (const r of await db.batch<{ subject: string }>(statements)) for (const row of r.results) erased.add(byHash.get(row.subject)!);
  return erased;
}

/** Whether `id` (an anonymous id or a user id) was erased or withdrew analytics on this site. */
export async function isTombstoned(db: D1Database, siteId: string, id: string): Promise<boolean> {
  return !!(await db.prepare('SELECT 1 FROM tombstones WHERE site_id = ?1 AND subject = ?2').bind(siteId, await subjectHash(id)).first());
}

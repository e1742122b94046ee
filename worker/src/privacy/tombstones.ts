import { sha256Hex } from '../crypto/hmac';

export type Scope = 'anon' | 'user';
export type Reason = 'erased' | 'withdrawn';

/**
 * The only thing kept about an erased subject: a hash of its id *and its kind* (plus site, scope, reason, time). The kind
 * is in the hash because anonymous ids are chosen by browsers and may spell someone's user id: erasing (or withdrawing)
 * the browser "cust-42" must never kill the user cust-42, nor the other way round. Every check asks for one kind.
 */
export const subjectHash = (id: string, scope: Scope): Promise<string> => sha256Hex(`tp-subject:${scope}:${id}`);

/** Rows written before the kind was hashed in (`tp-subject:<id>`) are told apart by their `scope` column. */
const legacyHash = (id: string): Promise<string> => sha256Hex(`tp-subject:${id}`);

/** The hashes an id of `scope` may be stored under: its own, and the legacy one (matched with `scope = ?`). */
export const subjectKeys = async (id: string, scope: Scope): Promise<{ scoped: string; legacy: string }> => ({
  scoped: await subjectHash(id, scope),
  legacy: await legacyHash(id),
});

/** SQL matching tombstone `t` against a json_each row `j` carrying `scoped`, `legacy` and `scope`. */
export const TOMBSTONE_MATCH = `(t.subject = json_extract(j.value, '$.scoped') OR (t.subject = json_extract(j.value, '$.legacy') AND t.scope = json_extract(j.value, '$.scope')))`;

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
        .bind(siteId, await subjectHash(id, scope), scope, reason, now),
    ),
  );
}

/**
 * Which of `ids` were erased on the site, each as the kind it is given as (`anon` for rows' anonymous ids, `user` for their
 * user ids). Looked up in chunks (one JSON parameter each). Archive compaction runs it after writing its output, so no
 * erasure can slip between its reads and its deletes.
 */
export async function erasedAmong(db: D1Database, siteId: string, ids: Iterable<{ id: string; scope: Scope }>): Promise<Set<string>> {
  const keys = await Promise.all([...ids].map(async ({ id, scope }) => ({ id, scope, ...(await subjectKeys(id, scope)) })));
  const erased = new Set<string>();
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < keys.length; i += 2000) {
    statements.push(
      db
        .prepare(`SELECT j.key AS i FROM tombstones t JOIN json_each(?2) j ON t.site_id = ?1 AND t.reason = 'erased' AND ${TOMBSTONE_MATCH}`)
        .bind(siteId, JSON.stringify(keys.slice(i, i + 2000).map(({ scoped, legacy, scope }) => ({ scoped, legacy, scope })))),
    );
  }
  const results = statements.length ? await db.batch<{ i: number }>(statements) : [];
  results.forEach((r, chunk) => r.results.forEach((row) => erased.add(`${keys[chunk * 2000 + row.i]!.scope}:${keys[chunk * 2000 + row.i]!.id}`)));
  return erased;
}

/** Whether `id`, as an anonymous id or as a user id (`scope`), was erased or withdrew analytics on this site. */
export async function isTombstoned(db: D1Database, siteId: string, id: string, scope: Scope): Promise<boolean> {
  return !!(await (await tombstoneStatement(db, siteId, id, scope)).first<{ n: number }>())?.n;
}

/** The lookup behind `isTombstoned`, as a statement for a caller's own batch (a row `{n}`: 1 when tombstoned). */
export async function tombstoneStatement(db: D1Database, siteId: string, id: string, scope: Scope): Promise<D1PreparedStatement> {
  const k = await subjectKeys(id, scope);
  return db
    .prepare('SELECT count(*) AS n FROM tombstones WHERE site_id = ?1 AND (subject = ?2 OR (subject = ?3 AND scope = ?4))')
    .bind(siteId, k.scoped, k.legacy, scope);
}

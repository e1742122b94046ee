import { eraseFromArchive, type ArchiveReport } from '../archive/erase';
import { activeDays, archivedEventsOf } from '../archive/history';
import { linksOf } from '../identity/links';
import { forgetVisits, rechain, visitVisitor } from '../storage/visits';
import { tombstoneStatements, type Reason } from './tombstones';

/** Whose data: a user (with every anonymous id linked to it) or one anonymous id. */
export interface Subject {
  siteId: string;
  userId: string | null;
  anonIds: string[];
}

export type SubjectKind = 'user' | 'anonymous';

/**
 * The subject an operator names, of the kind they name: a user id covers every anonymous id linked
 * to it; an anonymous id is one browser. The kind is never guessed from what is stored — a browser
 * linked to the user id "<someone's anonymous id>" must not turn that anonymous id into a user.
 * Returns null when nothing is stored about it (a typo must not look like a successful erasure).
 */
export async function resolveSubject(db: D1Database, siteId: string, id: string, kind: SubjectKind): Promise<Subject | null> {
  if (kind === 'user') {
    const links = await linksOf(db, siteId, id);
    const found = await db
      .prepare(
        `SELECT EXISTS (SELECT 1 FROM user_traits WHERE site_id = ?1 AND user_id = ?2)
             OR EXISTS (SELECT 1 FROM events WHERE site_id = ?1 AND user_id = ?2)
             OR EXISTS (SELECT 1 FROM identify_attempts WHERE site_id = ?1 AND user_id = ?2) AS n`,
      )
      .bind(siteId, id)
      .first<{ n: number }>();
    return links.length || found?.n ? { siteId, userId: id, anonIds: links.map((l) => l.anon_id) } : null;
  }
  const found = await db
    .prepare(
      `SELECT EXISTS (SELECT 1 FROM events WHERE site_id = ?1 AND anon_id = ?2)
           OR EXISTS (SELECT 1 FROM identity_links WHERE site_id = ?1 AND anon_id = ?2)
           OR EXISTS (SELECT 1 FROM consent_receipts WHERE site_id = ?1 AND anon_id = ?2)
           OR EXISTS (SELECT 1 FROM browser_secrets WHERE site_id = ?1 AND anon_id = ?2)
           OR EXISTS (SELECT 1 FROM identify_attempts WHERE site_id = ?1 AND anon_id = ?2)
           OR EXISTS (SELECT 1 FROM visits WHERE site_id = ?1 AND anon_id = ?2) AS n`,
    )
    .bind(siteId, id)
    .first<{ n: number }>();
  // visits: a browser whose raw events left D1 (past the hot window) still has its rollup rows, and events in the archive.
  return found?.n ? { siteId, userId: null, anonIds: [id] } : null;
}

const ids = (s: Subject) => JSON.stringify(s.anonIds);
/**
 * The subject's visits in the rollups, by the ids they carry (index `visits_site_anon`, and `visits_site_visitor` for the user:
 * a visit with a user id has it as its stitched visitor).
 */
const SUBJECT_VISITS = `SELECT site_id, visit FROM visits WHERE site_id = ?1 AND anon_id IN (SELECT value FROM json_each(?2))
  UNION SELECT site_id, visit FROM visits WHERE site_id = ?1 AND ${visitVisitor('visits')} = ?3 AND user_id = ?3`;
/**
 * The subject's page slots by the ids they carry (`visit_pages_anon`, and `visit_pages_chain` for the user): those whose visit
 * row is already gone — retention drops a visit by its start, its later page slots an hour or so after — are found by no
 * visit.
 */
const SUBJECT_PAGES = `SELECT site_id, slot, path, visit FROM visit_pages WHERE site_id = ?1 AND anon_id IN (SELECT value FROM json_each(?2))
  UNION SELECT site_id, slot, path, visit FROM visit_pages WHERE site_id = ?1 AND ${visitVisitor('visit_pages')} = ?3 AND user_id = ?3`;
/** Events of the subject: under any of its anonymous ids, or carrying its user id. */
const EVENTS_WHERE = `site_id = ?1 AND (anon_id IN (SELECT value FROM json_each(?2)) OR (?3 IS NOT NULL AND user_id = ?3))`;

const parse = (row: Record<string, unknown>) => {
  const { seq: _s, visitor_hash: _h, ...rest } = row;
  return { ...rest, props: typeof row.props === 'string' ? JSON.parse(row.props) : {} };
};

/** Where events older than the hot window are read from (the R2 Parquet archive), and the window's start. */
export interface ArchiveScope {
  bucket: R2Bucket;
  /** where retention removed raw events (storage/hot-window.ts `archiveBefore`): older events come from the archive */
  before: number;
  /**
   * Read only the days the visit rollup saw the subject's anonymous ids on (the visitor's own /v1/me: cheap, and a
   * browser is its anonymous id). Without it every day partition is read: the site's DSAR export covers everything.
   */
  narrow?: boolean;
}

/**
 * Everything stored about the subject, table by table. `browserOnly` (the visitor's own /v1/me):
 * what was recorded under this browser's anonymous id, and the traits of the user it is linked to —
 * not the user's other devices (the browser secret proves this browser only, and a person's other
 * devices may be shared; the site's own DSAR, which verifies the account, covers them).
 * With `archive`, events older than the hot window come from the Parquet archive (D1 keeps only the window).
 */
export async function exportSubject(db: D1Database, s: Subject, browserOnly = false, archive?: ArchiveScope) {
  const events: Record<string, unknown>[] = [];
  const unreadable: string[] = [];
  if (archive) {
    const who = browserOnly ? { ...s, userId: null } : s;
    const days = archive.narrow ? await activeDays(db, s.siteId, s.anonIds, archive.before, who.userId) : undefined;
    if (!days || days.length) events.push(...(await archivedEventsOf(archive.bucket, who, archive.before, days, unreadable)).map(parse));
  }
  const archived = new Set(events.map((e) => e.id));
  for (let after = 0; ; ) {
    const { results } = await db
      .prepare(`SELECT * FROM events WHERE ${EVENTS_WHERE} AND seq > ?4 ORDER BY seq LIMIT 1000`)
      .bind(s.siteId, ids(s), browserOnly ? null : s.userId, after)
      .all<Record<string, unknown> & { seq: number }>();
    // An event still in D1 past the window (retention runs hourly, in batches) is already among the archived ones.
    events.push(...results.map(parse).filter((e) => !archived.has((e as Record<string, unknown>).id)));
    if (results.length < 1000) break;
    after = results.at(-1)!.seq;
  }
  const [receipts, links, traits, secret] = await db.batch<Record<string, unknown>>([
    // Every receipt of the consent ids this browser used (a withdrawal carries no anonymous id).
    db
      .prepare(
        `SELECT receipt_id, consent_id, granted, denied, policy_version, method, gpc, ts, received_at, anon_id FROM consent_receipts
         WHERE site_id = ?1 AND consent_id IN (SELECT consent_id FROM consent_receipts WHERE site_id = ?1 AND anon_id IN (SELECT value FROM json_each(?2)))
         ORDER BY ts`,
      )
      .bind(s.siteId, ids(s)),
    db.prepare('SELECT anon_id, user_id, linked_at, verified, method FROM identity_links WHERE site_id = ?1 AND anon_id IN (SELECT value FROM json_each(?2))').bind(s.siteId, ids(s)),
    browserOnly
      ? db
          .prepare(
            `SELECT user_id, traits, updated_at FROM user_traits WHERE site_id = ?1
             AND user_id IN (SELECT user_id FROM identity_links WHERE site_id = ?1 AND anon_id IN (SELECT value FROM json_each(?2)))`,
          )
          .bind(s.siteId, ids(s))
      : db.prepare('SELECT user_id, traits, updated_at FROM user_traits WHERE site_id = ?1 AND user_id = ?2').bind(s.siteId, s.userId),
    db.prepare('SELECT anon_id, created_at FROM browser_secrets WHERE site_id = ?1 AND anon_id IN (SELECT value FROM json_each(?2))').bind(s.siteId, ids(s)),
  ]);
  const t = traits!.results[0] as { traits: string; updated_at: number } | undefined;
  return {
    site_id: s.siteId,
    subject: s.userId ? { type: 'user', user_id: s.userId, anonymous_ids: s.anonIds } : { type: 'anonymous', anonymous_id: s.anonIds[0] },
    exported_at: new Date().toISOString(),
    events,
    consent_receipts: receipts!.results.map((r) => ({ ...r, granted: JSON.parse(r.granted as string), denied: JSON.parse(r.denied as string) })),
    identity_links: links!.results.map((l) => ({ ...l, verified: l.verified === 1 })),
    traits: t ? JSON.parse(t.traits) : null,
    browser_secrets: secret!.results.map((r) => ({ anon_id: r.anon_id, created_at: r.created_at, note: 'only a hash of the secret is stored' })),
    ...(unreadable.length && { warnings: [unreadableWarning(unreadable)] }),
  };
}

/** What an export says when archive objects could not be read: it may be missing events they hold. */
export const unreadableWarning = (keys: string[]) =>
  `${keys.length} archive object(s) could not be read as Parquet and were skipped, so events they hold may be missing: ${keys.slice(0, 20).join(', ')}`;

export interface ErasureReport {
  events: number;
  /** rows of the per-visit rollup */
  visits: number;
  identity_links: number;
  traits: number;
  identify_attempts: number;
  browser_secrets: number;
  /** receipts stay as proof that a decision was made, without the anonymous id */
  receipts_anonymized: number;
  archive: ArchiveReport;
  tombstones: number;
}

/**
 * Erases the subject: events, links, traits, identify attempts, browser secrets, the anonymous id
 * on receipts, and its lines in the R2 archive; leaves tombstones (hashes) so that late or retried
 * events for it are dropped by the consumer.
 */
export async function eraseSubject(db: D1Database, bucket: R2Bucket, s: Subject, now: number, reason: Reason = 'erased'): Promise<ErasureReport> {
  const user = s.userId;
  const tomb = await tombstoneStatements(db, s.siteId, [...s.anonIds.map((id) => ({ id, scope: 'anon' as const })), ...(user ? [{ id: user, scope: 'user' as const }] : [])], reason, now);
  // Tombstones first, in the same transaction: nothing for the subject can be inserted after this batch.
  const r = await db.batch([
    ...tomb,
    // The subject's visits go before their events (the statement finds them through the events).
    ...forgetVisits(db, EVENTS_WHERE, s.siteId, ids(s), user),
    db.prepare(`DELETE FROM events WHERE ${EVENTS_WHERE}`).bind(s.siteId, ids(s), user),
    // Visits whose events already left D1 (past the hot window: the rollups keep the full retention) are found by the ids
    // they carry: pages first (through their visit), then the visits.
    ...['visit_pages', 'visits'].map((table) => db.prepare(`DELETE FROM ${table} WHERE (site_id, visit) IN (${SUBJECT_VISITS})`).bind(s.siteId, ids(s), user)),
    db.prepare('DELETE FROM identity_links WHERE site_id = ?1 AND (anon_id IN (SELECT value FROM json_each(?2)) OR user_id = ?3)').bind(s.siteId, ids(s), user),
    db.prepare('DELETE FROM user_traits WHERE site_id = ?1 AND user_id = ?2').bind(s.siteId, user),
    db.prepare('DELETE FROM identify_attempts WHERE site_id = ?1 AND (anon_id IN (SELECT value FROM json_each(?2)) OR user_id = ?3)').bind(s.siteId, ids(s), user),
    db.prepare('DELETE FROM browser_secrets WHERE site_id = ?1 AND anon_id IN (SELECT value FROM json_each(?2))').bind(s.siteId, ids(s)),
    db.prepare('DELETE FROM me_requests WHERE site_id = ?1 AND anon_id IN (SELECT value FROM json_each(?2))').bind(s.siteId, ids(s)),
    db.prepare('UPDATE consent_receipts SET anon_id = NULL WHERE site_id = ?1 AND anon_id IN (SELECT value FROM json_each(?2))').bind(s.siteId, ids(s)),
    db.prepare(`DELETE FROM visit_pages WHERE (site_id, slot, path, visit) IN (${SUBJECT_PAGES})`).bind(s.siteId, ids(s), user),
    // Last: the deleted rows' visitors (their ids, recorded by the rollups' triggers) leave rollup_dirty in this transaction.
    ...rechain(db),
  ]);
  const n = (i: number) => r[i]!.meta.changes;
  const t = tomb.length + 2;
  return {
    tombstones: tomb.length,
    events: n(t),
    visits: n(t - 1) + n(t + 2),
    identity_links: n(t + 3),
    traits: n(t + 4),
    identify_attempts: n(t + 5),
    browser_secrets: n(t + 6),
    receipts_anonymized: n(t + 8),
    archive: await eraseFromArchive(bucket, s),
  };
}

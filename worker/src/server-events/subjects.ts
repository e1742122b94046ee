import { decisionsStatement, latestDecisions, type Decision } from '../consent/on-record';
import { subjectHash } from '../privacy/tombstones';
import type { SegmentMessage } from './message';

/**
 * What the collector knows about the subjects of one request, read in one D1 round trip (a `db.batch` of three
 * reads, each id list one JSON parameter): which ids were erased or withdrew analytics (tombstones), which user each
 * anonymous id is linked to, and each subject's latest consent decision. Nothing is written here.
 */
export interface Subjects {
  /** tombstoned on this site (erased, or an anonymous id that withdrew analytics) */
  dead(id: string): boolean;
  /** the user an anonymous id is linked to in the graph */
  linkedUser(anonId: string): string | undefined;
  anonDecision(anonId: string): Decision | undefined;
  userDecision(userId: string): Decision | undefined;
  /**
   * Records a link made by this request (identify, alias), so that the calls after it in the same batch see it: the
   * anonymous id's owner, and the user's latest decision now counting that browser's too.
   */
  linked(anonId: string, userId: string): void;
}

/** The anonymous ids a call names: its anonymousId, and for alias the previousId it links. */
export const anonIdsOf = (m: SegmentMessage): string[] => [m.anonymousId, m.previousId].filter((x): x is string => !!x);

export async function lookupSubjects(db: D1Database, siteId: string, messages: SegmentMessage[]): Promise<Subjects> {
  const anons = new Set<string>();
  const users = new Set<string>();
  for (const m of messages) {
    for (const a of anonIdsOf(m)) anons.add(a);
    if (m.userId) users.add(m.userId);
  }
  if (anons.size + users.size === 0) return { dead: () => false, linkedUser: () => undefined, anonDecision: () => undefined, userDecision: () => undefined, linked: () => {} };
  const hashes = new Map<string, string>();
  await Promise.all([...new Set([...anons, ...users])].map(async (id) => hashes.set(await subjectHash(id), id)));
  const [tombs, links, decisions] = await db.batch<Record<string, string | number>>([
    db
      .prepare('SELECT subject FROM tombstones WHERE site_id = ?1 AND subject IN (SELECT value FROM json_each(?2))')
      .bind(siteId, JSON.stringify([...hashes.keys()])),
    db
      .prepare('SELECT anon_id, user_id FROM identity_links WHERE site_id = ?1 AND anon_id IN (SELECT value FROM json_each(?2))')
      .bind(siteId, JSON.stringify([...anons])),
    decisionsStatement(db, siteId, [...anons], [...users]),
  ]);
  const dead = new Set(tombs!.results.map((r) => hashes.get(r.subject as string)));
  const linked = new Map(links!.results.map((r) => [r.anon_id as string, r.user_id as string]));
  const latest = latestDecisions(decisions!.results as never);
  return {
    dead: (id) => dead.has(id),
    linkedUser: (a) => linked.get(a),
    anonDecision: (a) => latest.anon.get(a),
    userDecision: (u) => latest.user.get(u),
    linked(a, u) {
      linked.set(a, u);
      const d = latest.anon.get(a);
      const had = latest.user.get(u);
      if (d && (!had || d.decided_at > had.decided_at)) latest.user.set(u, d);
    },
  };
}

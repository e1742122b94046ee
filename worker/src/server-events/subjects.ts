import { decisionsStatement, latestDecisions, type Decision } from '../consent/on-record';
import { subjectKeys, TOMBSTONE_MATCH, type Scope } from '../privacy/tombstones';
import type { SegmentMessage } from './message';

/**
 * What the collector knows about the subjects of one request, read in one D1 round trip (a `db.batch` of three
 * reads, each id list one JSON parameter): which ids were erased or withdrew analytics (tombstones), which user each
 * anonymous id is linked to, and each subject's latest consent decision. Nothing is written here.
 */
export interface Subjects {
  /** tombstoned on this site (erased, or an anonymous id that withdrew analytics) */
  /** whether `id`, as an anonymous id or as a user id, was erased or withdrew analytics */
  dead(id: string, scope: Scope): boolean;
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
  // Each id as the kind it is used as: an anonymous id and a user id spelled alike are different subjects.
  const keys = await Promise.all([
    ...[...anons].map(async (id) => ({ key: `anon:${id}`, scope: 'anon', ...(await subjectKeys(id, 'anon')) })),
    ...[...users].map(async (id) => ({ key: `user:${id}`, scope: 'user', ...(await subjectKeys(id, 'user')) })),
  ]);
  const [tombs, links, decisions] = await db.batch<Record<string, string | number>>([
    db
      .prepare(`SELECT j.key AS i FROM tombstones t JOIN json_each(?2) j ON t.site_id = ?1 AND ${TOMBSTONE_MATCH}`)
      .bind(siteId, JSON.stringify(keys.map(({ scoped, legacy, scope }) => ({ scoped, legacy, scope })))),
    db
      .prepare('SELECT anon_id, user_id FROM identity_links WHERE site_id = ?1 AND anon_id IN (SELECT value FROM json_each(?2))')
      .bind(siteId, JSON.stringify([...anons])),
    decisionsStatement(db, siteId, [...anons], [...users]),
  ]);
  const dead = new Set(tombs!.results.map((r) => keys[Number(r.i)]!.key));
  const linked = new Map(links!.results.map((r) => [r.anon_id as string, r.user_id as string]));
  const latest = latestDecisions(decisions!.results as never);
  return {
    dead: (id, scope) => dead.has(`${scope}:${id}`),
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

import type { RowSubjects } from '../storage/events-store';
import { toRows, unitsOf, type EventRow, type EventsMessage, type ServerEventsMessage } from '../storage/messages';
import { subjectKeys, TOMBSTONE_MATCH, type Scope } from '../privacy/tombstones';
import { decisionsStatement, latestDecisions, type Decision } from '../consent/on-record';

/**
 * The consumer's half of consent enforcement, for one batch of queue messages in one D1 read:
 * - rows of an anonymous id that was erased or withdrew analytics are dropped (tombstones), however late;
 * - a batch received after its consent id's latest decision, carrying a token issued for an earlier one,
 *   keeps only the categories both grant: from the moment the collector answered a narrower receipt, no
 *   token issued before it can store what was withdrawn;
 * - rows of an anonymous id keep only what that id's own latest decision grants (the receipts naming it, which needed
 *   its browser secret: consent/on-record.ts), whichever token carried them: someone else's valid token, naming the id,
 *   stores nothing its visitor withdrew.
 * Tombstones are checked once more by the insert itself, in the write's transaction (storage/events-store.ts): an erasure
 * that commits between this read and the write still wins.
 */
export interface Admission {
  /** the rows of `m` that may be stored, and counts of the others by reason */
  admit(m: EventsMessage, rows: EventRow[]): { rows: EventRow[]; dropped: Record<string, number> };
  /** The tombstone keys of a row's ids, for the insert's own check (storage/events-store.ts). */
  subjectsOf(r: EventRow): RowSubjects;
}

interface Latest {
  receipt_id: string;
  granted: string[];
  decided_at: number;
}

export async function admission(db: D1Database, messages: EventsMessage[]): Promise<Admission> {
  // Keys are `scope\tsite\tid`: an anonymous id and a user id spelled alike are different subjects.
  type Subject = { site: string; scope: Scope; scoped: string; legacy: string; anon?: string };
  const anons = new Map<string, Subject>();
  const consents = new Map<string, { site: string; consent: string }>();
  // Server events that name no anonymous id carry their user id (server-events/map.ts): an erased user stays dead too.
  const userSubjects = new Map<string, Subject>();
  const hashing: Promise<unknown>[] = [];
  const add = (into: Map<string, Subject>, scope: Scope, site: string, id: string, extra: { anon?: string } = {}) => {
    const key = `${scope}\t${site}\t${id}`;
    if (into.has(key)) return;
    const s: Subject = { site, scope, scoped: '', legacy: '', ...extra };
    into.set(key, s);
    // Hashed together below, not one await per id: this runs for every consumer batch.
    hashing.push(subjectKeys(id, scope).then((k) => Object.assign(s, k)));
  };
  for (const m of messages) {
    if (m.ctx.user_id) add(userSubjects, 'user', m.site, m.ctx.user_id);
    if (m.ctx.anon_id) add(anons, 'anon', m.site, m.ctx.anon_id, { anon: m.ctx.anon_id });
    if (m.cs) consents.set(`${m.site}\t${m.cs.c}`, { site: m.site, consent: m.cs.c });
  }
  await Promise.all(hashing);
  const subjects = [...anons, ...userSubjects];
  const anonsBySite = new Map<string, string[]>();
  for (const s of anons.values()) anonsBySite.set(s.site, [...(anonsBySite.get(s.site) ?? []), s.anon!]);
  const [tombs, states, ...decisions] = await db.batch<{ site_id: string; subject?: string; consent_id?: string; receipt_id?: string; granted?: string; decided_at?: number }>([
    db
      .prepare(
        `SELECT j.key AS i FROM tombstones t JOIN json_each(?1) j ON t.site_id = json_extract(j.value, '$.site') AND ${TOMBSTONE_MATCH}`,
      )
      .bind(JSON.stringify(subjects.map(([, v]) => v))),
    db
      .prepare(
        `SELECT s.site_id, s.consent_id, s.receipt_id, s.granted, s.decided_at FROM consent_state s JOIN json_each(?1) j
         ON s.site_id = json_extract(j.value, '$.site') AND s.consent_id = json_extract(j.value, '$.consent')`,
      )
      .bind(JSON.stringify([...consents.values()])),
    ...[...anonsBySite].map(([site, ids]) => decisionsStatement(db, site, ids, [])),
  ]);
  const dead = new Set(tombs!.results.map((r) => subjects[Number((r as { i?: number }).i)]![0]));
  const latest = new Map<string, Latest>(
    states!.results.map((r) => [`${r.site_id}\t${r.consent_id}`, { receipt_id: r.receipt_id!, granted: JSON.parse(r.granted!), decided_at: r.decided_at! }]),
  );

  const own = new Map<string, Decision>();
  [...anonsBySite.keys()].forEach((site, i) => {
    for (const [anon, d] of latestDecisions(decisions[i]!.results as never).anon) own.set(`${site}\t${anon}`, d);
  });
  /** The anonymous id's own latest decision, when it binds rows received at `at` under a token for another receipt. */
  const ownDecision = (site: string, anon: string | null | undefined, at: number, receipt: string | undefined) => {
    const d = anon ? own.get(`${site}\t${anon}`) : undefined;
    return d && d.decided_at <= at && d.receipt_id !== receipt ? d : undefined;
  };

  return {
    subjectsOf(r) {
      const a = r.anon_id ? anons.get(`anon\t${r.site_id}\t${r.anon_id}`) : undefined;
      const u = r.user_id ? userSubjects.get(`user\t${r.site_id}\t${r.user_id}`) : undefined;
      return { ...(a && { anon: [a.scoped, a.legacy] }), ...(u && { user: [u.scoped, u.legacy] }) };
    },
    admit(m, rows) {
      const dropped: Record<string, number> = {};
      const bump = (k: string) => (dropped[k] = (dropped[k] ?? 0) + 1);
      const l = m.cs && latest.get(`${m.site}\t${m.cs.c}`);
      const narrowed = l && l.receipt_id !== m.cs!.r && l.decided_at <= m.received_at ? new Set(l.granted) : null;
      const keep = rows.filter((r) => {
        if ((r.anon_id && dead.has(`anon\t${r.site_id}\t${r.anon_id}`)) || (r.user_id && dead.has(`user\t${r.site_id}\t${r.user_id}`))) return bump('dropped_erased_or_withdrawn'), false;
        if (r.category === 'necessary') return true;
        if (narrowed && !narrowed.has(r.category)) return bump(`dropped_withdrawn_${r.category}`), false;
        const d = ownDecision(r.site_id, r.anon_id, m.received_at, m.cs?.r);
        if (d && !d.granted.includes(r.category)) return bump(`dropped_withdrawn_${r.category}`), false;
        return true;
      });
      return { rows: keep, dropped };
    },
  };
}

/** A store message admitted whole: its units (one, or a server message's groups), rows together, drops summed. */
export function admitAll(gate: Admission, body: EventsMessage | ServerEventsMessage): { rows: EventRow[]; dropped: Record<string, number> } {
  const rows: EventRow[] = [];
  const dropped: Record<string, number> = {};
  for (const unit of unitsOf(body)) {
    const r = gate.admit(unit, toRows(unit));
    rows.push(...r.rows);
    for (const [k, n] of Object.entries(r.dropped)) dropped[k] = (dropped[k] ?? 0) + n;
  }
  return { rows, dropped };
}
